"""One backbone forward of a batch whose samples belong to different tasks.

Every sample gets its own task's prompts in the one forward of the shared
frozen ViT: VPT-shallow tokens enter the sequence after the CLS token,
padded to the batch's longest shallow prompt; VPT-deep prompts enter each
layer's attention as extra keys and values, padded to the batch's longest
prefix. Padded positions are masked out as keys, so no real token attends
to them, and the padded tokens are dropped before the output: each sample
computes what its own task's model computes, to float precision.

The prompts' contributions are constant at inference: :class:`TaskTables`
holds them once per task set (the shallow tokens, and the prefixes' keys
and values of every layer, ``ln1`` and ``qkv`` applied), so a batch only
gathers its rows.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import nn

from ..backbones.prefix_layer import attend


class TaskTables(NamedTuple):
    """The tasks' constant prompt contributions, one row per task.

    ``shallow``: ``(T, P, D)`` tokens (zero padded) and ``shallow_lengths``
    ``(T, )``; ``prefix[i]``: ``(T, P_i, 2D)`` keys and values of layer
    ``i`` and ``prefix_lengths[i]`` ``(T, )``, or None where no task has
    prefixes at layer ``i``.
    """

    shallow: Optional[torch.Tensor]
    shallow_lengths: torch.Tensor
    prefix: List[Optional[torch.Tensor]]
    prefix_lengths: List[Optional[torch.Tensor]]


def _padded(rows: Sequence[Optional[torch.Tensor]], width: int,
            device: torch.device
            ) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
    """``rows`` (each ``(p, C)`` or None) stacked, zero padded to the
    longest, with their lengths."""
    lengths = torch.tensor([0 if r is None else r.shape[0] for r in rows],
                           device=device)
    longest = int(lengths.max()) if len(rows) else 0
    if not longest:
        return None, lengths
    table = torch.zeros(len(rows), longest, width, device=device)
    for index, row in enumerate(rows):
        if row is not None:
            table[index, :row.shape[0]] = row
    return table, lengths


@torch.no_grad()
def build_tables(backbone: nn.Module, tasks: Sequence[nn.Module]
                 ) -> TaskTables:
    """The :class:`TaskTables` of ``tasks``
    (:class:`~.task.ServedTask`, in row order) on ``backbone``."""
    device = backbone.cls_token.device if backbone.cls_token is not None \
        else next(backbone.parameters()).device
    dims = backbone.embed_dims
    shallow, shallow_lengths = _padded(
        [task.shallow_tokens() for task in tasks], dims, device)
    prefix, prefix_lengths = [], []
    for index, layer in enumerate(backbone.layers):
        table, lengths = _padded(
            [task.prefix_kv(index, layer) for task in tasks], 2 * dims,
            device)
        prefix.append(table)
        prefix_lengths.append(lengths if table is not None else None)
    return TaskTables(shallow, shallow_lengths, prefix, prefix_lengths)


def _gather(table: Optional[torch.Tensor], lengths: Optional[torch.Tensor],
            ids: torch.Tensor
            ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """The batch's rows of ``table``, cut to its longest, and their key
    mask (None when no row is padded)."""
    if table is None:
        return None, None
    own = lengths[ids]
    longest = int(own.max())
    if not longest:
        return None, None
    rows = table[ids, :longest]
    valid = torch.arange(longest, device=ids.device)[None] < own[:, None]
    return rows, None if bool(valid.all()) else valid


def layer_with_prefix(layer: nn.Module, x: torch.Tensor,
                      prefix_kv: Optional[torch.Tensor],
                      key_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """The host's ``TransformerEncoderLayer`` on ``x`` (B, N, D) whose
    attention also sees ``prefix_kv`` (B, p, 2D) as keys and values, with
    ``key_mask`` (B, p + N), True for the keys that take part: the prefix
    form's one layer forward (:func:`~vpt_mm.models.backbones.prefix_layer.
    attend`)."""
    return attend(layer, x, prefix_kv, key_mask)


def mixed_features(backbone: nn.Module, inputs: torch.Tensor,
                   ids: torch.Tensor, tables: TaskTables) -> torch.Tensor:
    """The shared backbone's output (its ``out_type``) for ``inputs``
    (B, C, H, W), sample ``b`` with the prompts of task row ``ids[b]``.

    Args:
        backbone (nn.Module): A :class:`PromptedViT` without prompts.
        inputs (torch.Tensor): The preprocessed images.
        ids (torch.Tensor): ``(B, )`` task rows of ``tables``.
        tables (TaskTables): The tasks' prompt contributions.
    """
    x, patch_resolution = backbone.embed(inputs)
    batch, extra = x.shape[0], backbone.num_extra_tokens
    tokens, token_valid = _gather(tables.shallow, tables.shallow_lengths,
                                  ids)
    num_tokens = 0 if tokens is None else tokens.shape[1]
    token_mask = None
    if tokens is not None:
        x = torch.cat((x[:, :extra], tokens, x[:, extra:]), dim=1)
        if token_valid is not None:
            ones = torch.ones(batch, 1, dtype=torch.bool, device=x.device)
            token_mask = torch.cat(
                (ones.expand(-1, extra), token_valid,
                 ones.expand(-1, x.shape[1] - extra - num_tokens)), dim=1)
    last = len(backbone.layers) - 1
    for index, layer in enumerate(backbone.layers):
        prefix, prefix_valid = _gather(tables.prefix[index],
                                       tables.prefix_lengths[index], ids)
        if prefix is None and token_mask is None:
            x = layer(x)
        else:
            key_mask = token_mask
            if prefix is not None and (prefix_valid is not None
                                       or token_mask is not None):
                if prefix_valid is None:
                    prefix_valid = torch.ones(
                        prefix.shape[:2], dtype=torch.bool, device=x.device)
                if key_mask is None:
                    key_mask = torch.ones(
                        x.shape[:2], dtype=torch.bool, device=x.device)
                key_mask = torch.cat((prefix_valid, key_mask), dim=1)
            x = layer_with_prefix(layer, x, prefix, key_mask)
        if index == last and backbone.final_norm:
            x = backbone.ln1(x)
    if num_tokens:
        x = torch.cat((x[:, :extra], x[:, extra + num_tokens:]), dim=1)
    return backbone._format_output(x, patch_resolution)
