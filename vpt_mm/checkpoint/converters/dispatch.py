"""The whole conversion: read, recognise, convert, check and save."""
from typing import Any, Dict, Optional

import torch
from mmengine.logging import print_log

from ..atomic import atomic_path
from .convnext import convert_convnext
from .errors import ConversionError, some_keys
from .layout import detect_layout, read_source
from .official_prompts import load_vpt_prompts, merge_prompts
from .readout import drop_final_norm, to_global_pool
from .resnet import convert_torchvision_resnet
from .swin import convert_swin
from .vit import (convert_jax_vit, convert_timm_vit, describe_vit,
                  resize_converted_pos_embed)

FAMILY_CONVERTERS = {
    'swin': convert_swin,
    'convnext': convert_convnext,
    'torchvision_resnet': convert_torchvision_resnet,
}


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
    container, content = read_source(src)
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
            f'{some_keys(skipped, 8)}',
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
    with atomic_path(dst) as tmp:
        torch.save(dict(state_dict=state_dict, meta=meta), tmp)
    print_log(
        f'Converted {src} ({layout}, {len(state_dict)} tensors) to {dst}',
        logger='current')
    return meta
