"""Convert public checkpoints into mmpretrain's ImageClassifier layout.

These source layouts are understood, recognised by their keys (never by the
file name):

* ``jax_npz``: Google's JAX ViT ``.npz`` files (``ViT-B_16.npz``, the
  ImageNet-21k ViT-B/16, L/16 and H/14 used by VPT), keys such as
  ``embedding/kernel`` and ``Transformer/encoderblock_0/...``.
* timm-style ViT state dicts (``patch_embed.proj.weight``,
  ``blocks.0.attn.qkv.weight``, ...), stored raw (``timm``), as MAE does
  (``{'model': ...}``, ``mae``) or as MoCo v3 does (``{'state_dict':
  {'module.<key>': ...}}``, optionally under ``module.base_encoder.``,
  ``moco_v3``).
* ``swin``: the official Swin Transformer files (``{'model': ...}``, e.g.
  ``swin_base_patch4_window7_224_22k.pth``), keys such as
  ``layers.0.blocks.0.attn.relative_position_bias_table`` and
  ``layers.0.downsample.reduction.weight``.
* ``convnext``: the official ConvNeXt files (``{'model': ...}``, e.g.
  ``convnext_base_22k_224.pth``), keys such as ``downsample_layers.0.0.*``
  and ``stages.0.0.dwconv.weight``.
* ``torchvision_resnet``: torchvision's ResNet state dicts (``conv1``,
  ``bn1``, ``layer1.0.conv1``, ..., ``fc``), e.g. ResNet-50's ImageNet-1k
  weights.

PyTorch pickles (read weights-only) and safetensors files are accepted.

The result is an mmengine checkpoint ``{'state_dict': ..., 'meta': ...}``
whose keys are ``backbone.<mmpretrain backbone key>`` (VisionTransformer,
SwinTransformer, ConvNeXt or ResNet) and, where the source has a
classifier, the head: ``head.layers.{pre_logits,head}.*`` as in mmpretrain's
``VisionTransformerClsHead`` for a ViT, ``head.fc.*`` (``LinearClsHead``)
otherwise. Official VPT prompt files can be merged into
``backbone.prompt.*`` of a ViT.

A ViT's final ``norm`` becomes ``ln1`` (the CLS read-out); ``fc_norm``, the
LayerNorm of a global-pool read-out, becomes ``ln2`` (what mmpretrain
applies for ``out_type='avg_featmap'``). Only *fine-tuned* MAE checkpoints
(and timm models built with ``fc_norm``) hold ``fc_norm``: MAE's released
pretraining files (``mae_pretrain_vit_base.pth``) hold the encoder's
``norm`` and no ``fc_norm``, because MAE's fine-tuning builds ``fc_norm``
fresh. :func:`to_global_pool` (``global_pool=True``, ``--global-pool``)
writes that read-out: ``ln1`` dropped, ``ln2`` new (weight 1, bias 0).
:func:`drop_final_norm` (``final_norm=False``, ``--no-final-norm``) drops
``ln1`` and adds nothing, for backbones built with ``final_norm=False``
that read intermediate layers (SETR's).

Every file is read without executing code: ``torch.load`` with
``weights_only=True``, ``numpy.load`` with ``allow_pickle=False``.
"""
import os
import os.path as osp
import re
import zipfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

from ...compat.checkpoint_globals import numpy_data_globals

__all__ = [
    'ConversionError', 'read_weights_file', 'detect_layout', 'convert_jax_vit',
    'convert_timm_vit', 'describe_vit', 'resize_converted_pos_embed',
    'load_vpt_prompts', 'merge_prompts', 'convert_pretrained',
    'convert_swin', 'convert_convnext', 'convert_torchvision_resnet',
    'unfold_merging_order', 'to_global_pool', 'drop_final_norm'
]

BACKBONE = 'backbone.'
HEAD = 'head.layers.'

# Keys that anchor a layout.
_JAX_ANCHOR = 'embedding/kernel'
_JAX_PREFIXES = ('', 'opt/target/')
_TIMM_ANCHORS = ('patch_embed.proj.weight', 'blocks.0.attn.qkv.weight')
_MOCO_BASE_ENCODER = 'base_encoder.'

# timm key -> mmpretrain ImageClassifier key (backbone keys get BACKBONE).
_TIMM_RULES: Tuple[Tuple[str, str], ...] = (
    (r'cls_token', BACKBONE + 'cls_token'),
    (r'pos_embed', BACKBONE + 'pos_embed'),
    (r'patch_embed\.proj\.(weight|bias)',
     BACKBONE + r'patch_embed.projection.\1'),
    (r'norm_pre\.(weight|bias)', BACKBONE + r'pre_norm.\1'),
    (r'blocks\.(\d+)\.norm1\.(weight|bias)', BACKBONE + r'layers.\1.ln1.\2'),
    (r'blocks\.(\d+)\.attn\.(qkv|proj)\.(weight|bias)',
     BACKBONE + r'layers.\1.attn.\2.\3'),
    (r'blocks\.(\d+)\.ls1\.gamma', BACKBONE + r'layers.\1.attn.gamma1.weight'),
    (r'blocks\.(\d+)\.norm2\.(weight|bias)', BACKBONE + r'layers.\1.ln2.\2'),
    (r'blocks\.(\d+)\.mlp\.fc1\.(weight|bias)',
     BACKBONE + r'layers.\1.ffn.layers.0.0.\2'),
    (r'blocks\.(\d+)\.mlp\.fc2\.(weight|bias)',
     BACKBONE + r'layers.\1.ffn.layers.1.\2'),
    (r'blocks\.(\d+)\.ls2\.gamma', BACKBONE + r'layers.\1.ffn.gamma2.weight'),
    (r'norm\.(weight|bias)', BACKBONE + r'ln1.\1'),
    # the global-pool norm of fine-tuned MAE checkpoints (not of MAE's
    # pretraining files, see to_global_pool); mmpretrain applies ln2 for
    # out_type='avg_featmap'.
    (r'fc_norm\.(weight|bias)', BACKBONE + r'ln2.\1'),
    (r'head\.(weight|bias)', HEAD + r'head.\1'),
    # timm < 0.6 representation layer.
    (r'pre_logits\.fc\.(weight|bias)', HEAD + r'pre_logits.\1'),
)

# timm-style keys that no classifier uses, with the reason for the log.
_TIMM_UNUSED: Tuple[Tuple[str, str], ...] = (
    (r'mask_token', 'MAE mask token'),
    (r'decoder_.*', 'MAE decoder'),
    (r'head\.\d+\..*', 'MoCo v3 projection MLP'),
)


class ConversionError(ValueError):
    """A source file cannot be converted.

    Raised for an unreadable file, an unknown layout or inconsistent weights.
    """


# -- reading -----------------------------------------------------------------
def _is_npz(filename: str) -> bool:
    if not zipfile.is_zipfile(filename):
        return False
    with zipfile.ZipFile(filename) as archive:
        names = archive.namelist()
    return bool(names) and all(name.endswith('.npy') for name in names)


def _is_safetensors(filename: str) -> bool:
    with open(filename, 'rb') as file:
        head = file.read(9)
    if len(head) < 9:
        return False
    header_size = int.from_bytes(head[:8], 'little')
    return head[8:9] == b'{' and 0 < header_size < osp.getsize(filename)


def _unsafe_reason(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines()]
    for line in lines:
        if 'Unsupported global' in line:
            return line
    return next((line for line in lines if line), type(error).__name__)


def read_weights_file(filename: str) -> Tuple[str, Mapping[str, Any]]:
    """Read a weights file without executing code from it.

    The container is recognised by its content: a zip of ``.npy`` members
    is a numpy ``.npz`` (``allow_pickle=False``), a safetensors header is
    read with ``safetensors``, anything else with ``torch.load`` and
    ``weights_only=True``.

    Args:
        filename (str): Local path.

    Returns:
        tuple[str, Mapping]: The container (``'npz'``, ``'safetensors'`` or
        ``'torch'``) and its content.

    Raises:
        ConversionError: If the file cannot be read this way.
    """
    if not osp.isfile(filename):
        raise ConversionError(f'{filename}: no such file')
    if _is_npz(filename):
        try:
            with np.load(filename, allow_pickle=False) as npz:
                return 'npz', {key: npz[key] for key in npz.files}
        except (ValueError, OSError, zipfile.BadZipFile) as error:
            # e.g. an object array, which needs pickle
            raise ConversionError(
                f'{filename}: cannot be read as a numpy archive with '
                f'allow_pickle=False: {_unsafe_reason(error)}') from None
    if _is_safetensors(filename):
        from safetensors.torch import load_file
        try:
            return 'safetensors', load_file(filename, device='cpu')
        except Exception as error:  # SafetensorError is no ValueError
            raise ConversionError(
                f'{filename}: cannot be read as safetensors: '
                f'{_unsafe_reason(error)}') from None
    try:
        content = torch.load(filename, map_location='cpu', weights_only=True)
    except Exception as error:  # pickle/zip errors have no common base
        raise ConversionError(
            f'{filename}: cannot be read with torch.load(weights_only=True)'
            f': {_unsafe_reason(error)}') from None
    if not isinstance(content, Mapping):
        raise ConversionError(f'{filename}: holds a {type(content).__name__}'
                              ', not a dict of weights')
    return 'torch', content


# -- layout detection --------------------------------------------------------
def _some_keys(mapping: Mapping, count: int = 5) -> str:
    keys = [str(key) for key in list(mapping)[:count]]
    more = ', ...' if len(mapping) > count else ''
    return '[' + ', '.join(repr(key) for key in keys) + more + ']'


def _as_tensor(value: Any, key: str, source: str) -> torch.Tensor:
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


def _strip_prefix(weights: Mapping[str, Any], prefix: str) -> Dict[str, Any]:
    return {
        key[len(prefix):]: value
        for key, value in weights.items() if key.startswith(prefix)
    }


def detect_layout(content: Mapping[str, Any],
                  source: str) -> Tuple[str, Dict[str, torch.Tensor], dict]:
    """Recognise a checkpoint's layout from its keys and unwrap it.

    Args:
        content (Mapping): What :func:`read_weights_file` returned.
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
            weights = _strip_prefix(content, prefix)
            weights = {
                key: _as_tensor(value, prefix + key, source)
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
        f'ResNet state dict; its keys{where}: {_some_keys(weights)}')
    if not all(isinstance(key, str) for key in weights):
        raise unknown_layout
    if weights and all(key.startswith('module.') for key in weights):
        key_prefix = 'module.'
        weights = _strip_prefix(weights, key_prefix)
    family = _detect_family(weights, source)
    if family is not None:
        weights = {
            key: _as_tensor(value, key, source)
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
        weights = _strip_prefix(weights, _MOCO_BASE_ENCODER)
    if not all(anchor in weights for anchor in _TIMM_ANCHORS):
        raise unknown_layout
    weights = {
        key: _as_tensor(value, key, source)
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


# -- conversion --------------------------------------------------------------
def convert_timm_vit(
        weights: Mapping[str, torch.Tensor],
        source: str = 'checkpoint'
) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Rename a timm-style ViT state dict to mmpretrain's layout.

    Args:
        weights (Mapping[str, Tensor]): timm keys (wrappers and prefixes
            already removed, see :func:`detect_layout`).
        source (str): For messages.

    Returns:
        tuple: The converted state dict (``backbone.*``, ``head.layers.*``)
        and the source keys left out because nothing uses them (MAE
        decoder, mask token, MoCo v3 projection MLP).

    Raises:
        ConversionError: Naming the first key with no mmpretrain
            counterpart.
    """
    return _rename(weights, _TIMM_RULES, _TIMM_UNUSED, source,
                   'VisionTransformer')


def _rename(weights: Mapping[str, torch.Tensor],
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
            f' {host} ({len(unknown)} such key(s): {_some_keys(unknown)})')
    return converted, skipped


def _jax_linear(kernel: torch.Tensor, in_dims: int) -> torch.Tensor:
    """A JAX Dense or attention kernel as a torch Linear weight (out, in).

    The kernel's first dimension(s) are the ``in_dims`` inputs, the rest the
    outputs: ``(d, h, k)`` for query/key/value, ``(h, k, d)`` for the
    attention output, ``(in, out)`` for a Dense layer.
    """
    return kernel.reshape(in_dims, -1).t().contiguous()


def convert_jax_vit(weights: Mapping[str, torch.Tensor],
                    source: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """Convert Google's JAX ViT weights to mmpretrain's layout.

    Args:
        weights (Mapping[str, Tensor]): The npz arrays (as tensors), keys
            such as ``embedding/kernel`` (a leading ``opt/target/`` already
            removed).
        source (str): For messages.

    Returns:
        dict: The converted state dict (``backbone.*`` and, where the file
        has them, ``head.layers.head.*`` / ``head.layers.pre_logits.*``).

    Raises:
        ConversionError: Naming a missing, misshapen or unknown key.
    """
    used = set()

    def take(key: str, rank: int) -> torch.Tensor:
        if key not in weights:
            raise ConversionError(f'{source}: JAX key "{key}" is missing')
        value = weights[key]
        if value.dim() != rank:
            raise ConversionError(
                f'{source}: JAX key "{key}" has shape {tuple(value.shape)}, '
                f'expected {rank} dimensions')
        used.add(key)
        return value

    out = {}
    kernel = take('embedding/kernel', 4)  # (ph, pw, in, d), HWIO
    embed_dims = kernel.shape[-1]
    out[BACKBONE + 'patch_embed.projection.weight'] = \
        kernel.permute(3, 2, 0, 1).contiguous()
    out[BACKBONE + 'patch_embed.projection.bias'] = take('embedding/bias', 1)
    out[BACKBONE + 'cls_token'] = take('cls', 3)
    out[BACKBONE + 'pos_embed'] = take(
        'Transformer/posembed_input/pos_embedding', 3)

    def norm(src: str, dst: str) -> None:
        out[f'{dst}.weight'] = take(f'{src}/scale', 1)
        out[f'{dst}.bias'] = take(f'{src}/bias', 1)

    def dense(src: str, dst: str) -> None:
        kernel = take(f'{src}/kernel', 2)
        out[f'{dst}.weight'] = _jax_linear(kernel, kernel.shape[0])
        out[f'{dst}.bias'] = take(f'{src}/bias', 1)

    block_ids = sorted({
        int(match.group(1))
        for match in (re.match(r'Transformer/encoderblock_(\d+)/', key)
                      for key in weights) if match
    })
    if block_ids != list(range(len(block_ids))):
        raise ConversionError(
            f'{source}: encoder blocks {block_ids} are not numbered 0..L-1')
    for i in block_ids:
        src, dst = f'Transformer/encoderblock_{i}/', f'{BACKBONE}layers.{i}.'
        attn = src + 'MultiHeadDotProductAttention_1/'
        norm(src + 'LayerNorm_0', dst + 'ln1')
        out[dst + 'attn.qkv.weight'] = torch.cat([
            _jax_linear(take(f'{attn}{name}/kernel', 3), embed_dims)
            for name in ('query', 'key', 'value')
        ])
        out[dst + 'attn.qkv.bias'] = torch.cat([
            take(f'{attn}{name}/bias', 2).reshape(-1)
            for name in ('query', 'key', 'value')
        ])
        out_kernel = take(attn + 'out/kernel', 3)  # (h, k, d)
        out[dst + 'attn.proj.weight'] = _jax_linear(
            out_kernel, out_kernel.shape[0] * out_kernel.shape[1])
        out[dst + 'attn.proj.bias'] = take(attn + 'out/bias', 1)
        norm(src + 'LayerNorm_2', dst + 'ln2')
        dense(src + 'MlpBlock_3/Dense_0', dst + 'ffn.layers.0.0')
        dense(src + 'MlpBlock_3/Dense_1', dst + 'ffn.layers.1')
    norm('Transformer/encoder_norm', BACKBONE + 'ln1')
    for name in ('pre_logits', 'head'):
        if f'{name}/kernel' in weights or f'{name}/bias' in weights:
            dense(name, HEAD + name)
    unknown = sorted(set(weights) - used)
    if unknown:
        raise ConversionError(
            f'{source}: JAX key "{unknown[0]}" is not part of a ViT '
            f'({len(unknown)} such key(s): {_some_keys(unknown)})')
    return out


# -- checks and meta ---------------------------------------------------------
def _layer_ids(state_dict: Mapping[str, torch.Tensor]) -> List[int]:
    pattern = re.compile(re.escape(BACKBONE) + r'layers\.(\d+)\.')
    return sorted({
        int(match.group(1))
        for match in map(pattern.match, state_dict) if match
    })


def _pos_grid(num_positions: int, num_extra_tokens: int = 1) -> int:
    grid = int(round(max(num_positions - num_extra_tokens, 0)**0.5))
    return grid if grid > 0 and \
        grid * grid == num_positions - num_extra_tokens else -1


def describe_vit(state_dict: Mapping[str, torch.Tensor],
                 source: str = 'checkpoint') -> Dict[str, int]:
    """Check a converted state dict for completeness and consistency.

    Args:
        state_dict (Mapping[str, Tensor]): Converted (``backbone.*``) keys.
        source (str): For messages.

    Returns:
        dict: Plain ints: ``embed_dims``, ``num_layers``,
        ``feedforward_channels``, ``patch_size``, ``img_size`` (position
        grid times patch size), ``final_norm`` and ``avg_featmap_norm``
        (0/1: whether ``ln1`` / ``ln2`` exist) and, with a classifier,
        ``num_classes`` (and ``hidden_dim`` with a pre-logits layer).

    Raises:
        ConversionError: For a missing key, a non-square patch or position
            grid or inconsistent widths.
    """

    def get(key: str) -> torch.Tensor:
        if key not in state_dict:
            raise ConversionError(f'{source}: no weights for "{key}"')
        return state_dict[key]

    patch = get(BACKBONE + 'patch_embed.projection.weight')
    if patch.dim() != 4 or patch.shape[2] != patch.shape[3]:
        raise ConversionError(
            f'{source}: patch embedding has shape {tuple(patch.shape)}; '
            'a square (d, in, p, p) kernel is needed')
    embed_dims, patch_size = patch.shape[0], patch.shape[2]
    cls_token = get(BACKBONE + 'cls_token')
    if tuple(cls_token.shape) != (1, 1, embed_dims):
        raise ConversionError(
            f'{source}: cls_token has shape {tuple(cls_token.shape)}, '
            f'expected {(1, 1, embed_dims)}')
    pos_embed = get(BACKBONE + 'pos_embed')
    grid = _pos_grid(pos_embed.shape[1]) if pos_embed.dim() == 3 else -1
    if grid < 0 or pos_embed.shape[0] != 1 or \
            pos_embed.shape[2] != embed_dims:
        raise ConversionError(
            f'{source}: pos_embed has shape {tuple(pos_embed.shape)}; '
            f'expected (1, 1 + n * n, {embed_dims}) (a CLS slot and a '
            'square grid), so it cannot be resized')
    layer_ids = _layer_ids(state_dict)
    if not layer_ids or layer_ids != list(range(len(layer_ids))):
        raise ConversionError(
            f'{source}: encoder layers {layer_ids} are not numbered 0..L-1')
    required = ('ln1.weight', 'ln1.bias', 'attn.qkv.weight',
                'attn.proj.weight', 'attn.proj.bias', 'ln2.weight', 'ln2.bias',
                'ffn.layers.0.0.weight', 'ffn.layers.0.0.bias',
                'ffn.layers.1.weight', 'ffn.layers.1.bias')
    for i in layer_ids:
        for name in required:
            get(f'{BACKBONE}layers.{i}.{name}')
        qkv = get(f'{BACKBONE}layers.{i}.attn.qkv.weight')
        if tuple(qkv.shape) != (3 * embed_dims, embed_dims):
            raise ConversionError(
                f'{source}: "{BACKBONE}layers.{i}.attn.qkv.weight" has shape '
                f'{tuple(qkv.shape)}, expected {(3 * embed_dims, embed_dims)}')
    meta = dict(
        embed_dims=int(embed_dims),
        num_layers=len(layer_ids),
        feedforward_channels=int(
            get(f'{BACKBONE}layers.0.ffn.layers.0.0.weight').shape[0]),
        patch_size=int(patch_size),
        img_size=int(grid * patch_size),
        final_norm=int(BACKBONE + 'ln1.weight' in state_dict),
        avg_featmap_norm=int(BACKBONE + 'ln2.weight' in state_dict))
    if HEAD + 'head.weight' in state_dict:
        meta['num_classes'] = int(state_dict[HEAD + 'head.weight'].shape[0])
    pre_logits = state_dict.get(HEAD + 'pre_logits.weight')
    if pre_logits is not None:
        meta['hidden_dim'] = int(pre_logits.shape[0])
    return meta


def to_global_pool(state_dict: Dict[str, torch.Tensor],
                   source: str = 'checkpoint') -> str:
    """Give a converted ViT state dict the global-pool read-out, in place.

    The read-out of MAE's fine-tuning and of the official VPT code's MAE
    models (the paper's Tab. 4): the mean of the encoder's output tokens,
    then ``fc_norm`` (mmpretrain: ``final_norm=False,
    out_type='avg_featmap'``, ``ln2``). MAE's pretraining files have the
    encoder's final ``norm`` (``ln1``) and no ``fc_norm``; like those codes
    this drops ``ln1`` and adds ``ln2`` as a new LayerNorm (weight 1,
    bias 0). A checkpoint that has ``fc_norm`` (fine-tuned) keeps it.

    Args:
        state_dict (dict[str, Tensor]): Converted (``backbone.*``) keys.
        source (str): For messages.

    Returns:
        str: What was done, for the checkpoint's ``meta`` and the log.

    Raises:
        ConversionError: If the state dict has neither a final norm nor a
            global-pool norm.
    """
    ln1 = [f'{BACKBONE}ln1.{name}' for name in ('weight', 'bias')]
    ln2 = [f'{BACKBONE}ln2.{name}' for name in ('weight', 'bias')]
    has_ln1 = any(key in state_dict for key in ln1)
    if ln2[0] in state_dict:
        for key in ln1:
            state_dict.pop(key, None)
        if has_ln1:
            return ("kept the checkpoint's fc_norm as ln2, dropped its final "
                    'norm (ln1), which the global-pool read-out never uses')
        return "kept the checkpoint's fc_norm as ln2 (a fine-tuned model)"
    if ln1[0] not in state_dict:
        raise ConversionError(
            f'{source}: --global-pool: no final norm ("norm") and no '
            '"fc_norm": not a ViT encoder with a norm to replace')
    weight = state_dict.pop(ln1[0])
    state_dict.pop(ln1[1], None)
    state_dict[ln2[0]] = torch.ones_like(weight)
    state_dict[ln2[1]] = torch.zeros_like(weight)
    return ('dropped the pretrained final norm (ln1); ln2 (fc_norm) new: '
            'weight 1, bias 0, as MAE fine-tuning builds it')


def drop_final_norm(state_dict: Dict[str, torch.Tensor],
                    source: str = 'checkpoint') -> str:
    """Drop a converted ViT's final norm (``ln1``), in place.

    For backbones built with ``final_norm=False`` that read intermediate
    layers, e.g. SETR's (layers 9/14/19/23 of ViT-L, normalised by the
    heads): prompted backbones load their checkpoint strictly, so an unused
    ``ln1`` would be an error. Unlike :func:`to_global_pool` nothing is
    added.

    Args:
        state_dict (dict[str, Tensor]): Converted (``backbone.*``) keys.
        source (str): For messages.

    Returns:
        str: What was done, for the checkpoint's ``meta`` and the log.

    Raises:
        ConversionError: If the state dict has no final norm.
    """
    keys = [f'{BACKBONE}ln1.{name}' for name in ('weight', 'bias')]
    missing = [key for key in keys if key not in state_dict]
    if missing:
        raise ConversionError(
            f'{source}: --no-final-norm: no final norm to drop ("{missing[0]}"'
            ' is missing)')
    for key in keys:
        del state_dict[key]
    return 'dropped the final norm (ln1) for a final_norm=False backbone'


def resize_converted_pos_embed(state_dict: Dict[str, torch.Tensor],
                               img_size: int,
                               source: str = 'checkpoint') -> None:
    """Resize ``backbone.pos_embed`` in place for another image size.

    Uses mmpretrain's ``resize_pos_embed`` (bicubic), as the model's own
    load hook would.

    Args:
        state_dict (dict): A converted state dict.
        img_size (int): The new image size; a multiple of the patch size.
        source (str): For messages.
    """
    from mmpretrain.models.utils import resize_pos_embed
    info = describe_vit(state_dict, source)
    patch_size = info['patch_size']
    if img_size <= 0 or img_size % patch_size:
        raise ConversionError(
            f'{source}: img_size {img_size} is not a positive multiple of '
            f'the patch size {patch_size}')
    old = info['img_size'] // patch_size
    new = img_size // patch_size
    if old == new:
        return
    key = BACKBONE + 'pos_embed'
    state_dict[key] = resize_pos_embed(
        state_dict[key], (old, old), (new, new),
        mode='bicubic',
        num_extra_tokens=1).contiguous()


# -- prompts -----------------------------------------------------------------
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
    if not osp.isfile(filename):
        raise ConversionError(f'{filename}: no such file')
    try:
        with numpy_data_globals():
            content = torch.load(
                filename, map_location='cpu', weights_only=True)
    except Exception as error:  # pickle/zip errors have no common base
        raise ConversionError(
            f'{filename}: cannot be read as a VPT prompt file with '
            f'torch.load(weights_only=True): {_unsafe_reason(error)}'
        ) from None
    if not isinstance(content, Mapping) or 'shallow_prompt' not in content:
        keys = _some_keys(content) if isinstance(content, Mapping) else \
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
            prompts[key] = _as_tensor(value, key, filename).float()
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


# -- Swin, ConvNeXt and ResNet -----------------------------------------------
HEAD_FC = 'head.fc.'  # mmpretrain's LinearClsHead
_SWIN_ANCHORS = ('patch_embed.proj.weight',
                 'layers.0.blocks.0.attn.relative_position_bias_table')
_CONVNEXT_ANCHORS = ('downsample_layers.0.0.weight',
                     'stages.0.0.dwconv.weight')
_RESNET_ANCHORS = ('conv1.weight', 'bn1.running_var',
                   'layer1.0.conv1.weight')
_BLOCK = r'layers\.(\d+)\.blocks\.(\d+)\.'
_STAGE = BACKBONE + r'stages.\1.blocks.\2.'
# official Swin key -> mmpretrain ImageClassifier key; the final ``norm`` is
# renamed to ``norm<last stage>`` by the converter.
_SWIN_RULES: Tuple[Tuple[str, str], ...] = (
    (r'patch_embed\.proj\.(weight|bias)',
     BACKBONE + r'patch_embed.projection.\1'),
    (r'patch_embed\.norm\.(weight|bias)', BACKBONE + r'patch_embed.norm.\1'),
    (r'absolute_pos_embed', BACKBONE + 'absolute_pos_embed'),
    (_BLOCK + r'(norm1|norm2)\.(weight|bias)', _STAGE + r'\3.\4'),
    (_BLOCK + r'attn\.(qkv|proj)\.(weight|bias)',
     _STAGE + r'attn.w_msa.\3.\4'),
    (_BLOCK + r'attn\.relative_position_bias_table',
     _STAGE + 'attn.w_msa.relative_position_bias_table'),
    (_BLOCK + r'mlp\.fc1\.(weight|bias)', _STAGE + r'ffn.layers.0.0.\3'),
    (_BLOCK + r'mlp\.fc2\.(weight|bias)', _STAGE + r'ffn.layers.1.\3'),
    (r'layers\.(\d+)\.downsample\.(reduction\.weight|norm\.(weight|bias))',
     BACKBONE + r'stages.\1.downsample.\2'),
    (r'head\.(weight|bias)', HEAD_FC + r'\1'),
)
# buffers the models compute themselves
_SWIN_UNUSED = ((r'.*\.relative_position_index', 'index buffer'),
                (r'.*\.attn_mask', 'shift mask buffer'))
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


def _indices(keys, pattern: str) -> List[Tuple[int, ...]]:
    """Sorted distinct integer groups of the keys matching ``pattern``."""
    compiled = re.compile(pattern)
    return sorted({
        tuple(int(group) for group in match.groups())
        for match in map(compiled.match, keys) if match
    })


def _depths(keys, pattern: str, source: str, what: str) -> List[int]:
    """Blocks per stage from ``(stage, block)`` indices, checking that both
    count 0, 1, ... without gaps."""
    pairs = _indices(keys, pattern)
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


def _move_final_norm(weights: Dict[str, torch.Tensor],
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


def _counts(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, int]:
    head = state_dict.get(HEAD_FC + 'weight')
    return {} if head is None else dict(num_classes=int(head.shape[0]))


def unfold_merging_order(weight: torch.Tensor) -> torch.Tensor:
    """Reorder the last (4C) dimension of a Swin patch-merging norm or
    reduction weight from the official layout to mmcv's ``nn.Unfold`` one.

    The official merging concatenates the neighbours (row, col) = (0, 0),
    (1, 0), (0, 1), (1, 1) as ``k * C + c``; ``nn.Unfold`` lays channel c of
    neighbour ``k' = 2 * row + col`` at ``c * 4 + k'``.
    """
    shape = weight.shape
    weight = weight.reshape(*shape[:-1], 4, shape[-1] // 4)
    weight = weight[..., [0, 2, 1, 3], :].transpose(-1, -2)
    return weight.reshape(shape).contiguous()


def convert_swin(weights: Mapping[str, torch.Tensor],
                 source: str = 'checkpoint'
                 ) -> Tuple[Dict[str, torch.Tensor], List[str], dict]:
    """Convert an official Swin Transformer state dict (``swin_*.pth``,
    e.g. ``swin_base_patch4_window7_224_22k.pth``, without its ``model``
    wrapper) to mmpretrain's :class:`SwinTransformer` + ``LinearClsHead``.

    Patch-merging norm and reduction weights are reordered for the
    ``nn.Unfold`` merging (:func:`unfold_merging_order`); the index and
    shift-mask buffers are left out (the model computes them).

    Returns:
        tuple: The converted state dict, the left-out keys and a description
        (plain ints and strs): ``embed_dims``, ``depths``, ``num_heads``,
        ``window_size``, ``patch_size`` and ``num_classes`` with a head.
    """
    converted, skipped = _rename(
        {k: v for k, v in weights.items() if not k.startswith('norm.')},
        _SWIN_RULES, _SWIN_UNUSED, source, 'SwinTransformer')
    depths = _depths(weights, _BLOCK, source, 'Swin stage')
    _move_final_norm(weights, converted, len(depths) - 1, source, 'Swin')
    for key in list(converted):
        if '.downsample.' in key:
            converted[key] = unfold_merging_order(converted[key])
    merges = _indices(converted, re.escape(BACKBONE) +
                      r'stages\.(\d+)\.downsample\.reduction\.weight')
    if merges != [(i, ) for i in range(len(depths) - 1)]:
        raise ConversionError(
            f'{source}: patch merging in stages {[m for m, in merges]}; a '
            f'{len(depths)}-stage Swin merges after each stage but the last')
    patch = converted[BACKBONE + 'patch_embed.projection.weight']
    heads, window = [], None
    for stage in range(len(depths)):
        table = converted[f'{BACKBONE}stages.{stage}.blocks.0.attn.w_msa.'
                          'relative_position_bias_table']
        heads.append(int(table.shape[1]))
        side = int(round(table.shape[0]**0.5))
        window = (side + 1) // 2
    description = dict(
        embed_dims=int(patch.shape[0]),
        depths=','.join(map(str, depths)),
        num_heads=','.join(map(str, heads)),
        window_size=int(window),
        patch_size=int(patch.shape[-1]),
        **_counts(converted))
    return converted, skipped, description


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
    converted, skipped = _rename(
        {k: v for k, v in weights.items() if not k.startswith('norm.')},
        _CONVNEXT_RULES, (), source, 'ConvNeXt')
    depths = _depths(weights, r'stages\.(\d+)\.(\d+)\.', source,
                     'ConvNeXt stage')
    _move_final_norm(weights, converted, len(depths) - 1, source,
                     'ConvNeXt')
    channels = [
        int(weights[f'stages.{i}.0.dwconv.weight'].shape[0])
        for i in range(len(depths))
    ]
    description = dict(
        depths=','.join(map(str, depths)),
        channels=','.join(map(str, channels)),
        **_counts(converted))
    return converted, skipped, description


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
    converted, skipped = _rename(weights, _RESNET_RULES, (), source,
                                 'ResNet')
    # torchvision counts its layers from 1: stage i is layer<i + 1>
    stage_keys = [
        f'{int(match.group(1)) - 1}.{match.group(2)}.'
        for match in (re.match(r'layer(\d+)\.(\d+)\.', key)
                      for key in weights) if match
    ]
    blocks = _depths(stage_keys, r'(\d+)\.(\d+)\.', source,
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
        **_counts(converted))
    return converted, skipped, description


FAMILY_CONVERTERS = {
    'swin': convert_swin,
    'convnext': convert_convnext,
    'torchvision_resnet': convert_torchvision_resnet,
}


# -- the whole conversion ----------------------------------------------------
def convert_pretrained(src: str,
                       dst: str,
                       prompts: Optional[str] = None,
                       img_size: Optional[int] = None,
                       global_pool: bool = False,
                       final_norm: bool = True) -> Dict[str, Any]:
    """Convert ``src`` to an mmengine checkpoint at ``dst``.

    Args:
        src (str): A JAX ViT npz, a timm-style ViT checkpoint (raw, MAE
            or MoCo v3 wrapping), an official Swin or ConvNeXt checkpoint
            or a torchvision ResNet state dict; recognised by its keys.
        dst (str): Output path: ``{'state_dict': ..., 'meta': ...}``, which
            loads with ``torch.load(weights_only=True)``.
        prompts (str, optional): An official VPT prompt file to merge (ViT
            only).
        img_size (int, optional): Resize the position embedding for this
            image size (otherwise the model resizes it when loading; ViT
            only).
        global_pool (bool): Write the global-pool read-out (ViT only; see
            :func:`to_global_pool`): what the MAE configs
            (``final_norm=False, out_type='avg_featmap'``) load from MAE's
            pretraining file.
        final_norm (bool): Keep a ViT's final norm (``ln1``); ``False``
            drops it and adds nothing (see :func:`drop_final_norm`), for
            ``final_norm=False`` backbones such as the SETR configs'.
            ``global_pool`` already drops it: the two exclude each other.

    Returns:
        dict: The checkpoint's ``meta`` (str and int values only).
    """
    if global_pool and not final_norm:
        raise ConversionError(
            f'{src}: global_pool and final_norm=False exclude each other: '
            'global_pool drops the final norm and adds the global-pool norm '
            '(ln2), final_norm=False drops it and adds nothing')
    # The prompt file is checked first: a bad one fails before the work.
    prompt_tensors = None if prompts is None else load_vpt_prompts(prompts)
    container, content = read_weights_file(src)
    layout, weights, info = detect_layout(content, src)
    family = FAMILY_CONVERTERS.get(layout)
    if family is not None:
        for option, value in (('prompts', prompts), ('img_size', img_size),
                              ('global_pool', global_pool or None),
                              ('final_norm=False',
                               None if final_norm else False)):
            if value is not None:
                raise ConversionError(
                    f'{src}: {option} applies to ViT checkpoints only, not '
                    f'to this {layout} one')
        state_dict, skipped, description = family(weights, src)
    elif layout == 'jax_npz':
        state_dict, skipped = convert_jax_vit(weights, src), []
    else:
        state_dict, skipped = convert_timm_vit(weights, src)
    if info['skipped']:
        print_log(
            f'{src}: left out the top-level group(s) {info["skipped"]} '
            f'(kept "{info["key_prefix"]}" only)',
            logger='current')
    if skipped:
        print_log(
            f'{src}: left out {len(skipped)} key(s) no classifier uses: '
            f'{_some_keys(skipped, 8)}',
            logger='current')
    norm_change = None
    if family is None:
        if img_size is not None:
            resize_converted_pos_embed(state_dict, img_size, src)
        if global_pool:
            norm_change = to_global_pool(state_dict, src)
            print_log(f'{src}: --global-pool: {norm_change}',
                      logger='current')
        if not final_norm:
            norm_change = drop_final_norm(state_dict, src)
            print_log(f'{src}: --no-final-norm: {norm_change}',
                      logger='current')
        description = describe_vit(state_dict, src)
    meta: Dict[str, Any] = dict(
        source=str(src),
        source_layout=layout,
        source_container=container,
        wrapper=info['wrapper'],
        key_prefix=info['key_prefix'],
        num_skipped_keys=len(skipped))
    if layout == 'jax_npz':
        query = weights['Transformer/encoderblock_0/'
                        'MultiHeadDotProductAttention_1/query/kernel']
        meta['num_heads'] = int(query.shape[1])
    meta.update(description)
    if norm_change is not None:
        meta['global_pool' if global_pool else 'no_final_norm'] = norm_change
    if layout == 'mae' and description['final_norm'] and \
            not description['avg_featmap_norm']:
        print_log(
            f'{src}: an MAE pretraining checkpoint (final norm, no fc_norm): '
            'for the global-pool read-out of configs/vit-b16-mae '
            '(final_norm=False) convert it with --global-pool',
            logger='current')
    elif family is None and not description['final_norm'] and \
            description['avg_featmap_norm']:
        print_log(
            f'{src}: no final norm but a global-pool norm (MAE fc_norm): '
            "build the backbone with final_norm=False, "
            "out_type='avg_featmap'",
            logger='current')
    if prompt_tensors is not None:
        meta.update(merge_prompts(state_dict, prompt_tensors, prompts))
        meta['prompts'] = str(prompts)
    folder = osp.dirname(osp.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    torch.save(dict(state_dict=state_dict, meta=meta), dst)
    print_log(
        f'Converted {src} ({layout}, {len(state_dict)} tensors) to {dst}',
        logger='current')
    return meta
