"""The target keys (mmpretrain's ImageClassifier) and renaming by rules."""
import re
from typing import Dict, List, Mapping, Sequence, Tuple

import torch

from .errors import ConversionError, some_keys

BACKBONE = 'backbone.'
HEAD = 'head.layers.'  # mmpretrain's VisionTransformerClsHead
HEAD_FC = 'head.fc.'  # mmpretrain's LinearClsHead


def rename(weights: Mapping[str, torch.Tensor],
           rules: Sequence[Tuple[str, str]],
           unused: Sequence[Tuple[str, str]], source: str,
           host: str) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Rename every key by the first rule whose pattern it fully matches;
    keys matching ``unused`` are left out; any other key is an error."""
    converted, skipped, unknown = {}, [], []
    for key, value in weights.items():
        for pattern, target in rules:
            if re.fullmatch(pattern, key):
                converted[re.sub(f'^{pattern}$', target, key)] = \
                    value.contiguous()
                break
        else:
            if any(re.fullmatch(pattern, key) for pattern, _ in unused):
                skipped.append(key)
            else:
                unknown.append(key)
    if unknown:
        raise ConversionError(
            f'{source}: key "{unknown[0]}" has no counterpart in mmpretrain\'s'
            f' {host} ({len(unknown)} such key(s): {some_keys(unknown)})')
    return converted, skipped
