"""Reading a source file and recognising its layout from its keys."""
import re
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np
import torch

from ..io import UnreadableWeightsError, read_weights_file, strip_prefix
from .errors import ConversionError, some_keys

# Keys that anchor a layout.
_JAX_ANCHOR = 'embedding/kernel'
_JAX_PREFIXES = ('', 'opt/target/')
_TIMM_ANCHORS = ('patch_embed.proj.weight', 'blocks.0.attn.qkv.weight')
_MOCO_BASE_ENCODER = 'base_encoder.'
_SWIN_ANCHORS = ('patch_embed.proj.weight',
                 'layers.0.blocks.0.attn.relative_position_bias_table')
_CONVNEXT_ANCHORS = ('downsample_layers.0.0.weight',
                     'stages.0.0.dwconv.weight')
_RESNET_ANCHORS = ('conv1.weight', 'bn1.running_var',
                   'layer1.0.conv1.weight')


def read_source(filename: str) -> Tuple[str, Mapping[str, Any]]:
    """Read a weights file without executing code from it
    (:func:`vpt_mm.checkpoint.io.read_weights_file`).

    Args:
        filename (str): Local path.

    Returns:
        tuple[str, Mapping]: The container (``'npz'``, ``'safetensors'`` or
        ``'torch'``) and its content.

    Raises:
        ConversionError: If the file cannot be read this way.
    """
    try:
        file = read_weights_file(filename)
    except (FileNotFoundError, UnreadableWeightsError) as error:
        raise ConversionError(str(error)) from None
    return file.container, file.content


def as_tensor(value: Any, key: str, source: str) -> torch.Tensor:
    """A source's tensor or numeric numpy array as a tensor."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        if not (np.issubdtype(value.dtype, np.floating)
                or np.issubdtype(value.dtype, np.integer)):
            raise ConversionError(f'{source}: "{key}" has dtype {value.dtype}'
                                  ', not a number type')
        return torch.from_numpy(np.ascontiguousarray(value))
    raise ConversionError(f'{source}: "{key}" holds a {type(value).__name__}'
                          ', not a tensor')


def detect_layout(content: Mapping[str, Any],
                  source: str) -> Tuple[str, Dict[str, torch.Tensor], dict]:
    """Recognise a checkpoint's layout from its keys and unwrap it.

    Args:
        content (Mapping): What :func:`read_source` returned.
        source (str): The file name, for messages.

    Returns:
        tuple: ``(layout, weights, info)``: the layout (``'jax_npz'``,
        ``'timm'``, ``'mae'``, ``'moco_v3'``, ``'swin'``, ``'convnext'`` or
        ``'torchvision_resnet'``), the weights with wrappers
        and prefixes removed (keys as in the source layout) and a dict of
        str: what was unwrapped (``wrapper``, ``key_prefix``) and which
        top-level groups were left out (``skipped``).

    Raises:
        ConversionError: For an unknown layout, naming the file and a few
            of its keys.
    """
    for prefix in _JAX_PREFIXES:
        if prefix + _JAX_ANCHOR in content:
            weights = strip_prefix(content, prefix)
            weights = {
                key: as_tensor(value, prefix + key, source)
                for key, value in weights.items()
            }
            info = dict(wrapper='', key_prefix=prefix, skipped='')
            return 'jax_npz', weights, info

    weights, wrapper = content, ''
    for name in ('model', 'state_dict'):
        if isinstance(content.get(name), Mapping):
            weights, wrapper = content[name], name
            break
    key_prefix, skipped = '', ''
    where = f' (under "{wrapper}")' if wrapper else ''
    unknown_layout = ConversionError(
        f'{source}: unknown checkpoint layout, neither a JAX ViT npz, a '
        'timm-style ViT, an official Swin or ConvNeXt nor a torchvision '
        f'ResNet state dict; its keys{where}: {some_keys(weights)}')
    if not all(isinstance(key, str) for key in weights):
        raise unknown_layout
    if weights and all(key.startswith('module.') for key in weights):
        key_prefix = 'module.'
        weights = strip_prefix(weights, key_prefix)
    family = _detect_family(weights, source)
    if family is not None:
        weights = {
            key: as_tensor(value, key, source)
            for key, value in weights.items()
        }
        info = dict(wrapper=wrapper, key_prefix=key_prefix, skipped='')
        return family, weights, info
    if any(key.startswith(_MOCO_BASE_ENCODER) for key in weights):
        groups = sorted({
            key.split('.', 1)[0]
            for key in weights if not key.startswith(_MOCO_BASE_ENCODER)
        })
        skipped = ', '.join(groups)
        key_prefix += _MOCO_BASE_ENCODER
        weights = strip_prefix(weights, _MOCO_BASE_ENCODER)
    if not all(anchor in weights for anchor in _TIMM_ANCHORS):
        raise unknown_layout
    weights = {
        key: as_tensor(value, key, source)
        for key, value in weights.items()
    }
    if key_prefix.startswith('module.'):
        layout = 'moco_v3'
    elif wrapper == 'model':
        layout = 'mae'
    else:
        layout = 'timm'
    info = dict(wrapper=wrapper, key_prefix=key_prefix, skipped=skipped)
    return layout, weights, info


def _detect_family(weights: Mapping[str, Any],
                   source: str) -> Optional[str]:
    """``'swin'``, ``'convnext'``, ``'torchvision_resnet'`` or None, from the
    keys; a timm-layout Swin is refused (its merging sits in the next
    stage)."""
    if all(anchor in weights for anchor in _SWIN_ANCHORS):
        merges = sorted({
            int(match.group(1))
            for match in (re.match(r'layers\.(\d+)\.downsample\.', key)
                          for key in weights) if match
        })
        if 'head.fc.weight' in weights or (merges and merges[0] != 0):
            raise ConversionError(
                f'{source}: a timm-layout Swin Transformer (patch merging at '
                'the start of a stage); convert the official Swin file '
                '(swin_*.pth, patch merging in layers.0.downsample)')
        return 'swin'
    if all(anchor in weights for anchor in _CONVNEXT_ANCHORS):
        return 'convnext'
    if all(anchor in weights for anchor in _RESNET_ANCHORS):
        return 'torchvision_resnet'
    return None
