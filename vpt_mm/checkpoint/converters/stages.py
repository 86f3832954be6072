"""Shared by the staged backbones (Swin, ConvNeXt, ResNet): blocks per
stage, the final norm and the head's size."""
import re
from typing import Dict, List, Mapping, Tuple

import torch

from .errors import ConversionError
from .rename import BACKBONE, HEAD_FC


def indices(keys, pattern: str) -> List[Tuple[int, ...]]:
    """Sorted distinct integer groups of the keys matching ``pattern``."""
    compiled = re.compile(pattern)
    return sorted({
        tuple(int(group) for group in match.groups())
        for match in map(compiled.match, keys) if match
    })


def stage_depths(keys, pattern: str, source: str, what: str) -> List[int]:
    """Blocks per stage from ``(stage, block)`` indices, checking that both
    count 0, 1, ... without gaps."""
    pairs = indices(keys, pattern)
    stages = sorted({stage for stage, _ in pairs})
    depths = []
    for stage in stages:
        blocks = [block for index, block in pairs if index == stage]
        if blocks != list(range(len(blocks))):
            raise ConversionError(f'{source}: {what} {stage} has blocks '
                                  f'{blocks}, not numbered 0..n-1')
        depths.append(len(blocks))
    if not stages or stages != list(range(len(stages))):
        raise ConversionError(
            f'{source}: {what}s {stages} are not numbered 0..n-1')
    return depths


def move_final_norm(weights: Dict[str, torch.Tensor],
                    converted: Dict[str, torch.Tensor], last: int,
                    source: str, host: str) -> None:
    """The official final ``norm`` is mmpretrain's ``norm<last stage>``."""
    for name in ('weight', 'bias'):
        key = f'norm.{name}'
        if key not in weights:
            raise ConversionError(f'{source}: the final norm "{key}" of the '
                                  f'{host} is missing')
        converted[f'{BACKBONE}norm{last}.{name}'] = \
            weights[key].contiguous()


def head_counts(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, int]:
    """``num_classes`` of a converted ``LinearClsHead``, if there is one."""
    head = state_dict.get(HEAD_FC + 'weight')
    return {} if head is None else dict(num_classes=int(head.shape[0]))
