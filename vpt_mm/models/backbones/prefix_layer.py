"""One mmpretrain encoder layer run with prompts as key/value prefixes.

The prefix form of VPT-deep (``prompt_cfg.deep_mode='prefix'``): a layer
whose prompt outputs nobody reads needs its prompts only as extra keys and
values of its attention, not as tokens. :func:`forward_layer_with_prefix`
runs the layer's own submodules that way, and, where only the first (CLS)
token of the output is read, computes only that token.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from mmpretrain.models.utils import MultiheadAttention


def is_plain_layer(layer: torch.nn.Module) -> bool:
    """Whether ``layer`` is mmpretrain's encoder layer with its own
    multi-head attention (no v_shortcut): what the prefix form calls
    into."""
    attn = getattr(layer, 'attn', None)
    return (isinstance(layer, TransformerEncoderLayer)
            and isinstance(attn, MultiheadAttention)
            and not attn.v_shortcut)


def prompt_keys_values(layer: TransformerEncoderLayer,
                       prompts: torch.Tensor, batch: int) -> torch.Tensor:
    """The keys and values ``(batch, p, 2D)`` of ``prompts`` (B, p, D) in
    ``layer``: its norm and the key/value rows of its projection, computed
    once when the batch shares the prompts (an expanded tensor)."""
    attn = layer.attn
    dims = attn.embed_dims
    shared = batch > 1 and prompts.stride(0) == 0  # no dropout mask
    prompts = layer.ln1(prompts[:1] if shared else prompts)
    if isinstance(attn.qkv, torch.nn.Linear):
        # the prompts' keys and values only: rows [D, 3D) of the qkv
        bias = attn.qkv.bias
        prompt_kv = F.linear(prompts, attn.qkv.weight[dims:],
                             None if bias is None else bias[dims:])
    else:  # an adapted projection (LoRA): its whole output
        prompt_kv = attn.qkv(prompts)[..., dims:]
    return prompt_kv.expand(batch, -1, -1)


def attend(layer: TransformerEncoderLayer,
           x: torch.Tensor,
           prefix_kv: Optional[torch.Tensor] = None,
           key_mask: Optional[torch.Tensor] = None,
           cls_only: bool = False,
           prompts: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``layer`` on ``x`` (B, N, D), its attention also seeing
    ``prefix_kv`` (B, p, 2D) as keys and values before the tokens' own
    (or those of ``prompts``, :func:`prompt_keys_values`), with
    ``key_mask`` (B, p + N; True: takes part) if given; with ``cls_only``
    its first output token only, ``(B, 1, D)`` (the query, attention
    output and MLP of the others are not computed)."""
    attn = layer.attn
    batch = x.shape[0]
    dims, heads = attn.embed_dims, attn.num_heads

    def split_heads(t: torch.Tensor, parts: int) -> torch.Tensor:
        # (B, n, parts * D) -> (parts, B, heads, n, head_dims)
        return t.reshape(batch, t.shape[1], parts, heads,
                         attn.head_dims).permute(2, 0, 3, 1, 4)

    tokens = layer.ln1(x)
    if cls_only and isinstance(attn.qkv, torch.nn.Linear):
        # the first token's query, every token's keys and values
        weight, bias = attn.qkv.weight, attn.qkv.bias
        query = F.linear(tokens[:, :1], weight[:dims],
                         None if bias is None else bias[:dims])
        kv = F.linear(tokens, weight[dims:],
                      None if bias is None else bias[dims:])
    else:
        qkv = attn.qkv(tokens)
        query, kv = qkv[..., :dims], qkv[..., dims:]
        if cls_only:
            query = query[:, :1]
    if prompts is not None:
        prefix_kv = prompt_keys_values(layer, prompts, batch)
    if prefix_kv is not None:
        kv = torch.cat((prefix_kv, kv), dim=1)
    # one copy of the keys and values, [prompts; tokens]; the queries
    # copied out, so that attention keeps no (B, N, 3D) alive
    k, v = split_heads(kv, 2)
    q = split_heads(query.contiguous(), 1)[0]
    mask = None if key_mask is None else key_mask[:, None, None, :]
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask,
        dropout_p=attn.attn_drop if attn.training else 0.)
    length = q.shape[2]
    out = attn.proj(out.transpose(1, 2).reshape(batch, length, dims))
    x = x[:, :length] + attn.out_drop(attn.gamma1(attn.proj_drop(out)))
    return layer.ffn(layer.ln2(x), identity=x)


def forward_layer_with_prefix(layer: TransformerEncoderLayer,
                              x: torch.Tensor,
                              prompts: Optional[torch.Tensor],
                              cls_only: bool = False) -> torch.Tensor:
    """``layer`` on the image tokens ``x`` (B, N, D) whose attention also
    sees ``prompts`` (B, p, D) as keys and values, calling the layer's
    own submodules. Equals ``drop_prompts(layer(insert_prompts(x)))``
    for a layer whose prompt outputs are discarded; with ``cls_only``
    its first token only, ``(B, 1, D)``; ``prompts=None``: no prefix
    (the layer itself)."""
    return attend(layer, x, cls_only=cls_only, prompts=prompts)
