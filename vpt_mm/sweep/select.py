"""Selecting the best grid point, and the statistics of the seeds."""
import math
from typing import Dict, Mapping, Optional, Sequence, Tuple

from .errors import SweepError
from .spec import TaskSpec, run_name

TIE_TOLERANCE = 1e-6  # val top-1 (%) closer than this is a tie


def grid_means(spec: TaskSpec,
               scores: Mapping[str, float]) -> Dict[tuple, Optional[float]]:
    """Mean val top-1 over the tune seeds of each grid point; ``None``
    where a seed's run has no score.

    Args:
        spec (TaskSpec): The task.
        scores (Mapping[str, float]): Val top-1 by run name.

    Returns:
        dict: ``setting -> mean`` for each of :attr:`TaskSpec.settings`
        (``(base_lr, weight_decay)`` or ``(base_lr, weight_decay,
        num_tokens)``).
    """
    means = {}
    for setting in spec.settings:
        values = [scores.get(run_name(*setting[:2], seed, *setting[2:]))
                  for seed in spec.tune_seeds]
        means[setting] = None if None in values else sum(values) / len(
            values)
    return means


def select_best(means: Mapping[tuple, Optional[float]],
                tolerance: float = TIE_TOLERANCE) -> tuple:
    """The grid point with the best mean val top-1.

    Ties (within ``tolerance``; frequent on a 200-image val set, where one
    image is 0.5%) go to the smaller base lr, further from the divergence
    that the grid's large lrs reach, then to the larger weight decay, the
    stronger regulariser, then (with a prompt length axis) to the shorter
    prompt, the cheaper model.

    Args:
        means (Mapping): ``(base_lr, weight_decay) -> mean val top-1`` or
            ``(base_lr, weight_decay, num_tokens) -> ...``; ``None`` (not
            scored) and NaN are ignored.
        tolerance (float): Scores this close are a tie.

    Returns:
        tuple: The selected key, ``(base_lr, weight_decay[, num_tokens])``.
    """
    scored = {key: value for key, value in means.items()
              if value is not None and not math.isnan(value)}
    if not scored:
        raise SweepError('no grid point has a score to select from')
    top = max(scored.values())
    ties = [key for key, value in scored.items() if value >= top - tolerance]
    return min(ties, key=lambda key: (key[0], -key[1], *key[2:]))


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``n - 1``; 0 for one value)."""
    values = [float(value) for value in values]
    if not values:
        raise ValueError('mean_std of no values')
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, 0.0
    var = sum((value - mean)**2 for value in values) / (len(values) - 1)
    return mean, math.sqrt(var)
