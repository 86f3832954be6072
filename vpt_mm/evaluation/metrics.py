"""Classification metrics reported the way long-tail papers report them."""
from typing import Dict, List

from mmpretrain.evaluation import Accuracy

from vpt_mm.registry import register_metric


@register_metric
class ErrorRate(Accuracy):
    """Top-k accuracy and top-k error rate, in percent.

    mmpretrain's :class:`~mmpretrain.evaluation.Accuracy` plus, for every
    ``accuracy/<key>`` it reports, ``error/<key> = 100 - accuracy/<key>``
    (long-tail benchmarks such as CIFAR-100-LT are compared by top-1 error);
    with another ``prefix`` the error keys are ``<prefix>/error_<key>``.
    The accuracy keys stay, so tools reading ``accuracy/top1`` (the sweep,
    checkpoint selection) work unchanged. ``thrs`` is refused: with a score
    threshold, ``100 - accuracy`` is no longer the error rate.

    Args:
        topk (int | tuple[int]): As for ``Accuracy``. Defaults to ``(1, )``.
        **kwargs: ``collect_device``, ``prefix`` as for ``Accuracy``.

    Example:
        >>> val_evaluator = dict(type='ErrorRate', topk=(1, 5))
        >>> # logs accuracy/top1, accuracy/top5, error/top1, error/top5
    """

    def __init__(self, topk=(1, ), **kwargs) -> None:
        if kwargs.get('thrs') is not None:
            raise ValueError('ErrorRate: thrs is not supported (the error '
                             'rate is 100 - top-k accuracy without one)')
        kwargs.pop('thrs', None)
        super().__init__(topk=topk, thrs=None, **kwargs)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Accuracy as mmpretrain computes it, then the error rates."""
        metrics = super().compute_metrics(results)
        for key in list(metrics):
            metrics[f'error_{key}'] = 100. - float(metrics[key])
        return metrics

    def evaluate(self, size: int) -> Dict[str, float]:
        """``accuracy/<key>`` and ``error/<key>`` for every top-k."""
        metrics = super().evaluate(size)
        renamed = {}
        for key, value in metrics.items():
            group, _, name = key.rpartition('/')
            if group == 'accuracy' and name.startswith('error_'):
                renamed[f'error/{name[len("error_"):]}'] = value
            else:
                renamed[key] = value
        return renamed
