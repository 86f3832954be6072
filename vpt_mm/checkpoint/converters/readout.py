"""A converted ViT's read-out: the global-pool norm or no final norm."""
from typing import Dict

import torch

from .errors import ConversionError
from .rename import BACKBONE


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
