"""Official Swin Transformer files to mmpretrain's SwinTransformer."""
import re
from typing import Dict, List, Mapping, Tuple

import torch

from .errors import ConversionError
from .rename import BACKBONE, HEAD_FC, rename
from .stages import (head_counts, indices, move_final_norm,
                     stage_depths)

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
    converted, skipped = rename(
        {k: v for k, v in weights.items() if not k.startswith('norm.')},
        _SWIN_RULES, _SWIN_UNUSED, source, 'SwinTransformer')
    depths = stage_depths(weights, _BLOCK, source, 'Swin stage')
    move_final_norm(weights, converted, len(depths) - 1, source, 'Swin')
    for key in list(converted):
        if '.downsample.' in key:
            converted[key] = unfold_merging_order(converted[key])
    merges = indices(converted, re.escape(BACKBONE) +
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
        **head_counts(converted))
    return converted, skipped, description
