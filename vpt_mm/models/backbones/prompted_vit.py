"""Visual Prompt Tuning on mmpretrain's Vision Transformer."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer
from mmpretrain.models.utils import MultiheadAttention, resize_pos_embed
from torch.utils.checkpoint import checkpoint

from vpt_mm.registry import register_backbone
from ..utils.checkpoint import load_state_dict_strictly, read_state_dict
from ..utils.prompt import PrefixPrompts, parse_prompt_cfg


@register_backbone
class PromptedViT(VisionTransformer):
    """Vision Transformer with visual prompts (VPT-shallow / VPT-deep).

    Behaves as the official VPT model: the sequence entering layer 0 is
    ``[CLS, dropout(proj(P)), patches]``, prompts inserted after the position
    embedding and carrying none; with ``deep=True`` the prompt slots of every
    later layer's input are replaced by that layer's own prompts.

    Since a deep layer's prompt outputs are replaced (and those of the last
    layer dropped), deep prompts matter only as keys and values of each
    attention. With ``deep_mode='prefix'`` (the default) they are computed
    so: for layer ``i`` the prompts ``P_i`` go through ``ln1`` and the key
    and value rows of the layer's ``qkv`` projection only, and the image
    tokens attend over ``[K_P; K_x]``, ``[V_P; V_x]``; the projection,
    residuals and FFN see the image tokens only (this holds for layer 0
    too). ``deep_mode='token'`` keeps the token-replacement form above; the
    two agree to float precision in outputs and gradients. Shallow prompts
    are always tokens. The
    backbone is frozen: only :attr:`prompt` has ``requires_grad=True`` and,
    in training mode, only :attr:`prompt` is in train mode (the frozen
    encoder runs as in evaluation, its dropout off). Prompt tokens never
    reach an output: ``featmap``, ``avg_featmap`` and ``raw`` outputs hold
    the host's tokens only. With ``num_tokens=0`` the model is exactly
    mmpretrain's :class:`VisionTransformer`.

    Args:
        prompt_cfg (dict, optional): See
            :func:`vpt_mm.models.utils.prompt.parse_prompt_cfg`.
        with_cp (bool): Activation checkpointing in training: each layer's
            activations are recomputed in the backward pass instead of
            stored (less memory, about one more forward of compute), for
            the largest backbones. Defaults to False.
        *args, **kwargs: Arguments of mmpretrain's ``VisionTransformer``.
            A ``Pretrained`` ``init_cfg`` is loaded strictly: every backbone
            weight must be present with its shape (``pos_embed`` is resized);
            prompts may be present (their shapes must match) or not.
    """

    def __init__(self,
                 *args,
                 prompt_cfg: Optional[dict] = None,
                 with_cp: bool = False,
                 **kwargs) -> None:
        self.prompt_cfg = parse_prompt_cfg(prompt_cfg)
        if not isinstance(with_cp, bool):
            raise ValueError(f'with_cp must be True or False, got {with_cp!r}')
        super().__init__(*args, **kwargs)
        self.with_cp = with_cp
        num_tokens = self.prompt_cfg['num_tokens']
        if num_tokens > 0:
            self.prompt = PrefixPrompts(
                num_tokens=num_tokens,
                embed_dims=self.embed_dims,
                num_layers=self.num_layers,
                patch_size=self.patch_embed.projection.kernel_size,
                deep=self.prompt_cfg['deep'],
                dropout=self.prompt_cfg['dropout'],
                project=self.prompt_cfg['project'])
        else:
            self.prompt = None
        self.num_prompt_tokens = num_tokens
        self.prompts_as_prefix = (
            num_tokens > 0 and self.prompt_cfg['deep']
            and self.prompt_cfg['deep_mode'] == 'prefix')
        if self.prompts_as_prefix:
            self._check_prefix_support()
        self.freeze_backbone()

    def _check_prefix_support(self) -> None:
        """The prefix form calls the submodules of mmpretrain's
        :class:`TransformerEncoderLayer`; refuse layers built otherwise."""
        for i, layer in enumerate(self.layers):
            attn = getattr(layer, 'attn', None)
            if not (isinstance(layer, TransformerEncoderLayer)
                    and isinstance(attn, MultiheadAttention)
                    and not attn.v_shortcut):
                raise TypeError(
                    "prompt_cfg.deep_mode='prefix' needs mmpretrain "
                    'TransformerEncoderLayer layers with a MultiheadAttention'
                    f' (no v_shortcut); layer {i} is {type(layer).__name__}'
                    "; use deep_mode='token'")

    # -- freezing -----------------------------------------------------------
    def freeze_backbone(self) -> None:
        """``requires_grad=False`` for everything but the prompts."""
        for param in self.parameters():
            param.requires_grad = False
        if self.prompt is not None:
            for param in self.prompt.parameters():
                param.requires_grad = True

    def train(self, mode: bool = True) -> 'PromptedViT':
        """Only the prompt module follows ``mode``; the frozen encoder stays
        in eval mode (as in the official implementation)."""
        super().train(mode)
        for child in self.children():
            if child is not self.prompt:
                child.eval()
        return self

    # -- weights ------------------------------------------------------------
    def init_weights(self) -> None:
        init_cfg = self.init_cfg
        if not (isinstance(init_cfg, dict)
                and init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        unknown = set(init_cfg) - {'type', 'checkpoint', 'prefix'}
        if unknown:
            raise ValueError(f'init_cfg: unknown key(s) {sorted(unknown)} '
                             'for a Pretrained PromptedViT')
        checkpoint = init_cfg['checkpoint']
        state_dict = read_state_dict(checkpoint, init_cfg.get('prefix'))
        self.load_pretrained(state_dict, source=checkpoint)
        self._is_init = True

    def load_pretrained(self, state_dict: dict, source: str) -> None:
        """Load backbone weights strictly, and the prompts all or none: a
        checkpoint without any ``prompt.*`` key leaves them at their
        initialisation; one with some must have them all."""
        has_prompts = any(key.startswith('prompt.') for key in state_dict)
        load_state_dict_strictly(
            self,
            state_dict,
            source,
            may_be_missing=lambda key: key.startswith('prompt.') and
            not has_prompts,
            may_differ_in_shape=lambda key: key == 'pos_embed')

    # -- the prompt tokens' one entry and one exit ---------------------------
    def insert_prompts(self, x: torch.Tensor,
                       layer_index: int) -> torch.Tensor:
        """Give layer ``layer_index`` its prompts: concatenated after the
        extra (CLS) tokens before layer 0, replacing the previous prompts
        before a deep layer. Other layers' inputs pass through unchanged."""
        if self.prompt is None or not self.prompt.has_prompts_for(
                layer_index):
            return x
        prompts = self.prompt(layer_index, x.shape[0])
        start = self.num_extra_tokens
        # Before layer 0 there are no prompts yet; later, the old ones go.
        end = start if layer_index == 0 else start + self.num_prompt_tokens
        return torch.cat((x[:, :start], prompts, x[:, end:]), dim=1)

    def drop_prompts(self, x: torch.Tensor) -> torch.Tensor:
        """Remove the prompt tokens: ``[CLS, P, patches] -> [CLS,
        patches]``. With prefix prompts the sequence never holds any."""
        if self.num_prompt_tokens == 0 or self.prompts_as_prefix:
            return x
        start = self.num_extra_tokens
        return torch.cat(
            (x[:, :start], x[:, start + self.num_prompt_tokens:]), dim=1)

    def forward_layer(self, layer: torch.nn.Module, x: torch.Tensor,
                      layer_index: int) -> torch.Tensor:
        """Run encoder layer ``layer_index`` on ``x`` with its prompts: as
        key/value prefixes, or inserted as tokens."""
        if self.prompts_as_prefix:
            return self._forward_layer_with_prefix(
                layer, x, self.prompt(layer_index, x.shape[0]))
        return layer(self.insert_prompts(x, layer_index))

    def _forward_layer_with_prefix(self, layer: TransformerEncoderLayer,
                                   x: torch.Tensor,
                                   prompts: torch.Tensor) -> torch.Tensor:
        """``layer`` on the image tokens ``x`` (B, N, D) whose attention also
        sees ``prompts`` (B, p, D) as keys and values, calling the layer's
        own submodules. Equals ``drop_prompts(layer(insert_prompts(x)))``
        for a layer whose prompt outputs are discarded."""
        attn = layer.attn
        batch, length, _ = x.shape
        dims, heads = attn.embed_dims, attn.num_heads

        def split_heads(t: torch.Tensor, parts: int) -> torch.Tensor:
            # (B, n, parts * D) -> (parts, B, heads, n, head_dims)
            return t.reshape(batch, t.shape[1], parts, heads,
                             attn.head_dims).permute(2, 0, 3, 1, 4)

        qkv = attn.qkv(layer.ln1(x))
        # the prompts' keys and values only: rows [D, 3D) of the projection
        weight = attn.qkv.weight[dims:]
        bias = None if attn.qkv.bias is None else attn.qkv.bias[dims:]
        if batch > 1 and prompts.stride(0) == 0:
            # the same prompts for every sample (no dropout mask): once
            prompt_kv = F.linear(layer.ln1(prompts[:1]), weight,
                                 bias).expand(batch, -1, -1)
        else:
            prompt_kv = F.linear(layer.ln1(prompts), weight, bias)
        # one copy of the keys and values, [prompts; image tokens]; the
        # queries copied out, so that attention keeps no (B, N, 3D) alive
        k, v = split_heads(torch.cat((prompt_kv, qkv[..., dims:]), dim=1), 2)
        q = split_heads(qkv[..., :dims].contiguous(), 1)[0]

        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=attn.attn_drop if attn.training else 0.)
        out = attn.proj(out.transpose(1, 2).reshape(batch, length, dims))
        x = x + attn.out_drop(attn.gamma1(attn.proj_drop(out)))
        return layer.ffn(layer.ln2(x), identity=x)

    # -- forward ------------------------------------------------------------
    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Patch embedding, CLS token and position embedding, as the host."""
        x, patch_resolution = self.patch_embed(x)
        if self.cls_token is not None:
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x),
                          dim=1)
        x = x + resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        x = self.pre_norm(self.drop_after_pos(x))
        return x, patch_resolution

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x, patch_resolution = self.embed(x)
        outs = []
        for i, layer in enumerate(self.layers):
            if self.with_cp and self.training and torch.is_grad_enabled():
                # activation checkpointing: keep only each layer's input and
                # recompute the layer (same dropout masks) in the backward
                x = checkpoint(
                    self.forward_layer, layer, x, i, use_reentrant=False)
            else:
                x = self.forward_layer(layer, x, i)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(
                    self._format_output(self.drop_prompts(x),
                                        patch_resolution))
        return tuple(outs)
