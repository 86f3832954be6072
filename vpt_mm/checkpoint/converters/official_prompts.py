"""Official VPT prompt files, merged into a converted ViT."""
from typing import Dict, Mapping

import numpy as np
import torch

from ..io import UnreadableWeightsError, load_weights_file
from .errors import ConversionError, some_keys
from .layout import as_tensor
from .rename import BACKBONE
from .vit import describe_vit

PROMPT_KEYS = ('shallow_prompt', 'deep_prompt')


def load_vpt_prompts(filename: str) -> Dict[str, torch.Tensor]:
    """Read an official VPT prompt file.

    The file is ``torch.save({'shallow_prompt': ndarray (1, p, d),
    'deep_prompt': ndarray (L - 1, p, d)})`` (``deep_prompt`` optional);
    torch tensors are accepted as well. Read with ``weights_only=True``,
    numpy arrays allowed.

    Args:
        filename (str): The prompt file.

    Returns:
        dict: ``shallow_prompt`` and, if present, ``deep_prompt`` tensors.

    Raises:
        ConversionError: If the file cannot be read or has other keys.
    """
    try:
        content = load_weights_file(
            filename, containers=('torch', ), numpy_arrays=True).content
    except FileNotFoundError as error:
        raise ConversionError(str(error)) from None
    except UnreadableWeightsError as error:
        raise ConversionError(
            f'{filename}: cannot be read as a VPT prompt file with '
            f'torch.load(weights_only=True): {error.reason}') from None
    if not isinstance(content, Mapping) or 'shallow_prompt' not in content:
        keys = some_keys(content) if isinstance(content, Mapping) else \
            type(content).__name__
        raise ConversionError(
            f'{filename}: not a VPT prompt file (needs "shallow_prompt" and '
            f'optionally "deep_prompt"), found {keys}')
    unexpected = sorted(set(content) - set(PROMPT_KEYS), key=str)
    if unexpected:
        raise ConversionError(
            f'{filename}: unexpected key(s) {unexpected} in a VPT prompt '
            f'file; only {list(PROMPT_KEYS)} are known')
    prompts = {}
    for key in PROMPT_KEYS:
        if key in content:
            value = content[key]
            if isinstance(value, np.ndarray):
                value = np.array(value)  # an own, writable copy
            prompts[key] = as_tensor(value, key, filename).float()
    return prompts


def merge_prompts(state_dict: Dict[str, torch.Tensor],
                  prompts: Mapping[str, torch.Tensor],
                  source: str = 'prompt file') -> Dict[str, int]:
    """Add official VPT prompts as ``backbone.prompt.*`` in place.

    Args:
        state_dict (dict): A converted state dict.
        prompts (Mapping[str, Tensor]): ``shallow_prompt`` ``(1, p, d)`` and
            optionally ``deep_prompt`` ``(L - 1, p, d)``, d being the
            backbone's width and L its number of layers.
        source (str): For messages.

    Returns:
        dict: ``num_prompt_tokens`` and ``deep_prompts`` (0/1), plain ints.

    Raises:
        ValueError: (:class:`ConversionError`) naming the key and both
            shapes when a prompt does not fit the backbone.
    """
    info = describe_vit(state_dict)
    embed_dims, num_layers = info['embed_dims'], info['num_layers']
    shallow = prompts['shallow_prompt']
    num_tokens = shallow.shape[1] if shallow.dim() == 3 else 'p'
    expected = dict(
        shallow_prompt=(1, num_tokens, embed_dims),
        deep_prompt=(num_layers - 1, num_tokens, embed_dims))
    for key in PROMPT_KEYS:
        if key not in prompts:
            continue
        actual = tuple(prompts[key].shape)
        if actual != expected[key] or not actual[1]:
            raise ConversionError(
                f'{source}: "{key}" has shape {actual} but the backbone '
                f'needs {expected[key]} (1 or num_layers - 1 = '
                f'{num_layers - 1} sets of p > 0 tokens of width '
                f'{embed_dims}; p shared by shallow_prompt and deep_prompt)')
    dtype = state_dict[BACKBONE + 'cls_token'].dtype
    for key in PROMPT_KEYS:
        if key in prompts:
            state_dict[f'{BACKBONE}prompt.{key}'] = \
                prompts[key].to(dtype).contiguous()
    return dict(
        num_prompt_tokens=int(num_tokens),
        deep_prompts=int('deep_prompt' in prompts))
