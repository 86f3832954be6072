"""torchvision ResNet state dicts to mmpretrain's ResNet."""
import re
from typing import Dict, List, Mapping, Tuple

import torch

from .errors import ConversionError
from .rename import BACKBONE, HEAD_FC, rename
from .stages import head_counts, stage_depths

_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
# torchvision and mmpretrain name ResNet's modules alike
_RESNET_RULES: Tuple[Tuple[str, str], ...] = (
    (r'conv1\.weight|bn1\.' + _BN, BACKBONE + r'\g<0>'),
    (r'layer\d+\.\d+\.(conv\d\.weight|(bn\d|downsample\.1)\.' + _BN +
     r'|downsample\.0\.weight)', BACKBONE + r'\g<0>'),
    (r'fc\.(weight|bias)', HEAD_FC + r'\1'),
)
# (blocks per stage, bottleneck) -> depth
_RESNET_DEPTHS = {
    ((2, 2, 2, 2), False): 18,
    ((3, 4, 6, 3), False): 34,
    ((3, 4, 6, 3), True): 50,
    ((3, 4, 23, 3), True): 101,
    ((3, 8, 36, 3), True): 152,
}


def convert_torchvision_resnet(
        weights: Mapping[str, torch.Tensor],
        source: str = 'checkpoint'
) -> Tuple[Dict[str, torch.Tensor], List[str], dict]:
    """Convert a torchvision ResNet state dict (e.g. ``resnet50``'s
    ImageNet-1k weights) to mmpretrain's :class:`ResNet` (``style
    ='pytorch'``, the default) + ``LinearClsHead``: the module names agree,
    the backbone goes under ``backbone.`` and ``fc`` becomes the head.

    Returns:
        tuple: The converted state dict, the left-out keys (none) and a
        description: ``depth``, ``stem_channels``, ``base_channels`` and
        ``num_classes``.
    """
    converted, skipped = rename(weights, _RESNET_RULES, (), source,
                                'ResNet')
    # torchvision counts its layers from 1: stage i is layer<i + 1>
    stage_keys = [
        f'{int(match.group(1)) - 1}.{match.group(2)}.'
        for match in (re.match(r'layer(\d+)\.(\d+)\.', key)
                      for key in weights) if match
    ]
    blocks = stage_depths(stage_keys, r'(\d+)\.(\d+)\.', source,
                          'ResNet stage (0 = layer1)')
    bottleneck = 'layer1.0.conv3.weight' in weights
    depth = _RESNET_DEPTHS.get((tuple(blocks), bottleneck))
    if depth is None:
        raise ConversionError(
            f'{source}: a ResNet with {blocks} '
            f'{"bottleneck" if bottleneck else "basic"} blocks per layer '
            f'is none of depths {sorted(set(_RESNET_DEPTHS.values()))}')
    description = dict(
        depth=depth,
        stem_channels=int(weights['conv1.weight'].shape[0]),
        base_channels=int(weights['layer1.0.conv1.weight'].shape[0]),
        **head_counts(converted))
    return converted, skipped, description
