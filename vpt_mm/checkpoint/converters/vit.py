"""ViTs: Google's JAX npz files and timm-style state dicts (raw, MAE,
MoCo v3) to mmpretrain's VisionTransformer, and their checks."""
import re
from typing import Dict, List, Mapping, Tuple

import torch

from .errors import ConversionError, some_keys
from .rename import BACKBONE, HEAD, rename

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
    return rename(weights, _TIMM_RULES, _TIMM_UNUSED, source,
                  'VisionTransformer')


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
            f'({len(unknown)} such key(s): {some_keys(unknown)})')
    return out


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
