"""Official ConvNeXt files to mmpretrain's ConvNeXt."""
from typing import Dict, List, Mapping, Tuple

import torch

from .rename import BACKBONE, HEAD_FC, rename
from .stages import head_counts, move_final_norm, stage_depths

_CONVNEXT_RULES: Tuple[Tuple[str, str], ...] = (
    (r'downsample_layers\.(\d+)\.([01])\.(weight|bias)',
     BACKBONE + r'downsample_layers.\1.\2.\3'),
    (r'stages\.(\d+)\.(\d+)\.dwconv\.(weight|bias)',
     BACKBONE + r'stages.\1.\2.depthwise_conv.\3'),
    (r'stages\.(\d+)\.(\d+)\.norm\.(weight|bias)',
     BACKBONE + r'stages.\1.\2.norm.\3'),
    (r'stages\.(\d+)\.(\d+)\.pwconv([12])\.(weight|bias)',
     BACKBONE + r'stages.\1.\2.pointwise_conv\3.\4'),
    (r'stages\.(\d+)\.(\d+)\.gamma', BACKBONE + r'stages.\1.\2.gamma'),
    (r'head\.(weight|bias)', HEAD_FC + r'\1'),
)


def convert_convnext(weights: Mapping[str, torch.Tensor],
                     source: str = 'checkpoint'
                     ) -> Tuple[Dict[str, torch.Tensor], List[str], dict]:
    """Convert an official ConvNeXt state dict (``convnext_*.pth``, e.g.
    ``convnext_base_22k_224.pth``, without its ``model`` wrapper) to
    mmpretrain's :class:`ConvNeXt` (``out_indices=-1``,
    ``gap_before_final_norm=True``) + ``LinearClsHead``.

    Returns:
        tuple: The converted state dict, the left-out keys (none) and a
        description: ``depths``, ``channels`` and ``num_classes``.
    """
    converted, skipped = rename(
        {k: v for k, v in weights.items() if not k.startswith('norm.')},
        _CONVNEXT_RULES, (), source, 'ConvNeXt')
    depths = stage_depths(weights, r'stages\.(\d+)\.(\d+)\.', source,
                          'ConvNeXt stage')
    move_final_norm(weights, converted, len(depths) - 1, source, 'ConvNeXt')
    channels = [
        int(weights[f'stages.{i}.0.dwconv.weight'].shape[0])
        for i in range(len(depths))
    ]
    description = dict(
        depths=','.join(map(str, depths)),
        channels=','.join(map(str, channels)),
        **head_counts(converted))
    return converted, skipped, description
