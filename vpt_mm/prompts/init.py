"""How prompts start: the one Xavier bound of the official code, and CLS
prototypes read from a file (``prompt_cfg.init='cls-prototype'``)."""
import math
from typing import Sequence

import numpy as np
import torch


def xavier_bound(patch_size: Sequence[int], prompt_dim: int) -> float:
    """``sqrt(6 / (3 * ph * pw + prompt_dim))``: Xavier uniform over the
    patch embedding's fan-in (3 channels) and the prompt width, the bound
    of the official VPT code for every prompt it draws.

    Args:
        patch_size (Sequence[int]): The patch size ``(ph, pw)``.
        prompt_dim (int): The prompts' width.
    """
    return math.sqrt(6. / (3 * patch_size[0] * patch_size[1] + prompt_dim))


def load_prototypes(filename: str, num_tokens: int,
                    embed_dims: int) -> torch.Tensor:
    """Read CLS prototypes ``(p, d)`` for ``init='cls-prototype'``.

    Raises:
        ValueError: Naming the file and ``prompt_cfg.num_tokens`` when the
            shapes do not fit.
    """
    try:
        array = np.load(filename, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f'prompt_cfg.init_file={filename!r}: cannot read '
                         f'the prototypes ({error})') from error
    if array.ndim != 2 or array.shape[1] != embed_dims:
        raise ValueError(
            f'prompt_cfg.init_file={filename!r}: prototypes must have shape'
            f' (p, {embed_dims}), found {tuple(array.shape)}')
    if array.shape[0] != num_tokens:
        raise ValueError(
            f'prompt_cfg.num_tokens={num_tokens} must equal the '
            f'{array.shape[0]} prototypes in {filename}')
    return torch.from_numpy(array).float()
