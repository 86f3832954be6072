"""Layer-wise lr decay for a segmentor over an mmpretrain backbone."""
from functools import partial
from typing import Callable, List, Optional

from mmpretrain.engine.optimizers import \
    LearningRateDecayOptimWrapperConstructor
from torch import nn

from vpt_mm.registry import register_optim_wrapper_constructor


@register_optim_wrapper_constructor
class SegmentorLayerDecayOptimWrapperConstructor(
        LearningRateDecayOptimWrapperConstructor):
    """mmpretrain's layer-wise lr decay for a model whose ``backbone``
    knows its layers (``get_layer_depth``, as mmpretrain's ViT and Swin),
    e.g. mmseg's ``EncoderDecoder``.

    mmseg's own ``LayerDecayOptimizerConstructor`` accepts only its BEiT,
    MAE and ConvNeXt classes; mmpretrain's asks the model itself. Here the
    backbone's parameters get its depths and every other parameter (neck,
    heads) the top depth, i.e. the full lr, as in both. ``paramwise_cfg``
    is mmpretrain's (``layer_decay_rate``, ``flat_decay_mult``,
    ``custom_keys``, ...).
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   get_layer_depth: Optional[Callable] = None,
                   **kwargs) -> None:
        if get_layer_depth is None and not hasattr(module, 'get_layer_depth'):
            backbone = getattr(module, 'backbone', None)
            if not hasattr(backbone, 'get_layer_depth'):
                raise TypeError(
                    f'{type(self).__name__}: model.backbone '
                    f'({type(backbone).__name__}) has no get_layer_depth')
            get_layer_depth = partial(
                backbone.get_layer_depth, prefix='backbone.')
        super().add_params(params, module, prefix, get_layer_depth, **kwargs)
