"""Visual Prompt Tuning on mmpretrain's Vision Transformer."""
import math
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed
from torch.utils.checkpoint import checkpoint

from vpt_mm.prompts.config import parse_prompt_cfg, resolve_prompt_layers
from vpt_mm.prompts.init import load_prototypes
from vpt_mm.prompts.pixel import ChannelPrompts, PixelPrompts
from vpt_mm.prompts.sequence import PromptSequenceMixin
from vpt_mm.prompts.tokens import PrefixPrompts
from vpt_mm.registry import register_backbone
from .frozen_prompted import FrozenPromptedMixin
from .prefix_layer import forward_layer_with_prefix, is_plain_layer

# Fig. 8: the average of the final patch tokens (no extra norm, unlike
# mmpretrain's 'avg_featmap'), of the final prompt tokens, of both
POOL_OUT_TYPES = ('image_pool', 'prompt_pool', 'global_pool')


class LayerPlan(NamedTuple):
    """What one encoder layer does with prompts, fixed at construction.

    ``mode``: how the layer gets new prompts: ``None`` (none of its own),
    ``'token'`` (inserted into the sequence, replacing carried ones),
    ``'prefix'`` (keys and values only), ``'add'`` (added element-wise) or
    ``'embed'`` (added to the patch embedding: prompt channels).
    ``holds_in`` / ``holds_out``: whether the sequence entering (before the
    layer's own prompts) / leaving the layer holds prompt tokens.
    ``drop_after``: prompts are dropped after the layer
    (``carry_prompts=False``, the next layer has none of its own).
    """

    mode: Optional[str]
    holds_in: bool
    holds_out: bool
    drop_after: bool


@register_backbone
class PromptedViT(FrozenPromptedMixin, PromptSequenceMixin,
                  VisionTransformer):
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

    The paper's ablations (Sec. 4.3, App. B) are ``prompt_cfg`` values and
    out types, see ``docs/ablations.md``: prompt ``location``, the set of
    prompted ``layers`` (a layer without prompts of its own carries the
    previous prompt outputs on, or none with ``carry_prompts=False``; deep
    prompts whose outputs nobody reads are computed as prefixes, the others
    as tokens), ``sharing``, ``init``, ``trainable``, ``train_cls_token``,
    and ``out_type`` ``'image_pool'``, ``'prompt_pool'`` or
    ``'global_pool'`` (Fig. 8) besides the host's. :attr:`layer_plan` says
    what each layer does.

    Args:
        prompt_cfg (dict, optional): See
            :func:`vpt_mm.prompts.config.parse_prompt_cfg`.
        with_cp (bool): Activation checkpointing in training: each layer's
            activations are recomputed in the backward pass instead of
            stored (less memory, about one more forward of compute), for
            the largest backbones. Defaults to False.
        *args, **kwargs: Arguments of mmpretrain's ``VisionTransformer``.
            A ``Pretrained`` ``init_cfg`` is loaded strictly: every backbone
            weight must be present with its shape (``pos_embed`` is resized);
            prompts may be present (their shapes must match) or not.
    """

    OUT_TYPES = VisionTransformer.OUT_TYPES | set(POOL_OUT_TYPES)

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
        cfg = self.prompt_cfg
        self.prompt_location = cfg['location']
        self.prompt_layers = resolve_prompt_layers(cfg, self.num_layers)
        self.prompt = self._build_prompt() if self.prompt_layers else None
        # the one counter of extra tokens that prompts add to the sequence
        self.num_prompt_tokens = (
            cfg['num_tokens'] if self.prompt_location in ('prepend',
                                                          'prepend-pixel')
            else 0)
        self.layer_plan = self._plan_layers()
        self.prompts_as_prefix = any(
            step.mode == 'prefix' for step in self.layer_plan)
        if self.prompts_as_prefix:
            self._check_prefix_support()
        self._check_pooled_outputs()
        self.freeze_backbone()

    def _build_prompt(self) -> torch.nn.Module:
        """The prompt module for ``prompt_cfg.location``."""
        cfg, num_tokens = self.prompt_cfg, self.prompt_cfg['num_tokens']
        patch_size = self.patch_embed.projection.kernel_size
        if self.prompt_location == 'prepend-pixel':
            return PixelPrompts(num_tokens,
                                self.patch_embed.projection.in_channels,
                                patch_size, self.embed_dims, self.patch_embed)
        if self.prompt_location == 'concat-channel':
            img_size = self.patch_embed.init_input_size
            if self.patch_embed.norm is not None or any(
                    size % patch for size, patch in zip(img_size, patch_size)):
                raise ValueError(
                    "prompt_cfg.location='concat-channel' needs a patch "
                    'embedding without norm and an img_size divisible by the'
                    f' patch size, got {img_size} and {patch_size}')
            return ChannelPrompts(num_tokens, img_size, patch_size,
                                  self.embed_dims)
        if self.prompt_location == 'add':
            length = self.num_extra_tokens + math.prod(self.patch_resolution)
            if num_tokens not in (1, length):
                raise ValueError(
                    f"prompt_cfg.num_tokens={num_tokens} with location='add'"
                    f' must be 1 (one vector added to every token) or the '
                    f'sequence length {length} (one vector per token)')
        init_tokens = None
        if cfg['init'] == 'cls-prototype':
            init_tokens = load_prototypes(cfg['init_file'], num_tokens,
                                          self.embed_dims)
        return PrefixPrompts(
            num_tokens=num_tokens,
            embed_dims=self.embed_dims,
            num_layers=self.num_layers,
            patch_size=patch_size,
            deep=cfg['deep'],
            dropout=cfg['dropout'],
            project=cfg['project'],
            layers=self.prompt_layers,
            sharing=cfg['sharing'],
            init_tokens=init_tokens)

    def _plan_layers(self) -> Tuple[LayerPlan, ...]:
        """Decide once what every layer does with prompts.

        A layer's prompt outputs are unused when the next layer replaces
        them, when they are dropped after it, or after the last layer
        (unless an output pools them): then, with ``deep_mode='prefix'``,
        its prompts are keys and values only; otherwise they are tokens.
        """
        cfg, layers = self.prompt_cfg, set(self.prompt_layers)
        last = self.num_layers - 1
        pooled = self.out_type in ('prompt_pool', 'global_pool')
        plan, holds = [], False
        for i in range(self.num_layers):
            holds_in, mode = holds, None
            if i in layers and self.prompt_location == 'add':
                mode = 'add'
            elif i in layers and self.prompt_location == 'concat-channel':
                mode = 'embed'
            elif i in layers:
                outputs_unused = (
                    i == last or i + 1 in layers
                    or not cfg['carry_prompts']) and not (
                        pooled and i in self.out_indices)
                if cfg['deep_mode'] == 'prefix' and outputs_unused:
                    mode, holds = 'prefix', False
                else:
                    mode, holds = 'token', True
            drop_after = (holds and not cfg['carry_prompts'] and i < last
                          and i + 1 not in layers)
            plan.append(LayerPlan(mode, holds_in, holds, drop_after))
            holds = holds and not drop_after
        return tuple(plan)

    def _check_pooled_outputs(self) -> None:
        if self.out_type not in ('prompt_pool', 'global_pool'):
            return
        for i in self.out_indices:
            if i >= self.num_layers or not self.layer_plan[i].holds_out:
                raise ValueError(
                    f"out_type='{self.out_type}' pools prompt tokens, but "
                    f'the output of layer {i} holds none (prompt_cfg: '
                    f"num_tokens={self.prompt_cfg['num_tokens']}, location="
                    f"'{self.prompt_location}', carry_prompts="
                    f"{self.prompt_cfg['carry_prompts']})")

    def _check_prefix_support(self) -> None:
        """The prefix form calls the submodules of mmpretrain's
        :class:`TransformerEncoderLayer`; refuse layers built otherwise."""
        for i, layer in enumerate(self.layers):
            if not is_plain_layer(layer):
                raise TypeError(
                    "prompt_cfg.deep_mode='prefix' needs mmpretrain "
                    'TransformerEncoderLayer layers with a MultiheadAttention'
                    f' (no v_shortcut); layer {i} is {type(layer).__name__}'
                    "; use deep_mode='token'")

    # -- what trains -------------------------------------------------------
    def trained_parameters(self) -> Dict[str, torch.nn.Parameter]:
        """The prompts (unless ``prompt_cfg.trainable=False``) and, with
        ``prompt_cfg.train_cls_token``, the CLS token."""
        params = {}
        if self.prompt is not None and self.prompt_cfg['trainable']:
            params.update(super().trained_parameters())
        if self.prompt_cfg['train_cls_token']:
            if self.cls_token is None:
                raise ValueError('prompt_cfg.train_cls_token=True needs a '
                                 'CLS token (with_cls_token=True)')
            params['cls_token'] = self.cls_token
        return params

    # -- weights ------------------------------------------------------------
    def may_differ_in_shape(self, key: str) -> bool:
        """A checkpoint's position embedding is resized on load."""
        return key == 'pos_embed'

    # -- the prompt tokens' one entry and one exit ---------------------------
    def insert_prompts(self, x: torch.Tensor,
                       layer_index: int) -> torch.Tensor:
        """Give layer ``layer_index`` its prompts as tokens: inserted after
        the extra (CLS) tokens, replacing the prompts the sequence holds;
        or added element-wise (``location='add'``). Other layers' inputs
        pass through unchanged."""
        step = self.layer_plan[layer_index]
        if step.mode not in ('token', 'add'):
            return x
        prompts = self.prompt(layer_index, x.shape[0])
        if step.mode == 'token':
            return self.insert_prompt_tokens(x, prompts, step.holds_in)
        if prompts.shape[1] not in (1, x.shape[1]):
            raise ValueError(
                f"prompt_cfg.num_tokens={prompts.shape[1]} with location"
                f"='add' does not fit the sequence of {x.shape[1]} "
                'tokens (another input size?)')
        return x + prompts

    def drop_prompts(self, x: torch.Tensor,
                     layer_index: int = -1) -> torch.Tensor:
        """Remove the prompt tokens from ``x``, the output of layer
        ``layer_index`` (default the last): ``[CLS, P, patches] -> [CLS,
        patches]``. Sequences without prompt tokens (prefix prompts, added
        or channel prompts, dropped ones) pass unchanged."""
        if not self.layer_plan[layer_index].holds_out:
            return x
        return self.drop_prompt_tokens(x)

    def forward_layer(self, layer: torch.nn.Module, x: torch.Tensor,
                      layer_index: int) -> torch.Tensor:
        """Run encoder layer ``layer_index`` on ``x`` with its prompts: as
        key/value prefixes, or inserted as tokens. A prefix layer whose
        output is read only at the CLS token (:meth:`_reads_cls_only`)
        computes only that token: ``(B, 1, D)``."""
        step = self.layer_plan[layer_index]
        if step.mode == 'prefix':
            if step.holds_in:  # carried prompts, replaced by these
                x = self.drop_prompts(x, layer_index - 1)
            return forward_layer_with_prefix(
                layer, x, self.prompt(layer_index, x.shape[0]),
                self._reads_cls_only(layer, layer_index))
        return layer(self.insert_prompts(x, layer_index))

    def _reads_cls_only(self, layer: torch.nn.Module,
                        layer_index: int) -> bool:
        """Whether nothing but the CLS token of prefix layer
        ``layer_index``'s output is read: the last layer of a backbone
        whose output is the CLS token (``out_type='cls_token'``), drawing
        no per-token random numbers (dropout in train mode) whose count
        would change with the number of tokens. Its patch tokens' queries,
        attention outputs and MLP are then not computed (the keys and
        values of every token are): the same CLS token, about 10/12 of the
        last layer's linear work less. (Layers without prefix prompts run
        the host's layer as they are, forward hooks and all.)"""
        if (layer_index != self.num_layers - 1
                or self.out_type != 'cls_token' or self.cls_token is None):
            return False
        return not (layer.training and (layer.attn.attn_drop > 0 or any(
            isinstance(m, torch.nn.Dropout) and m.p > 0
            for m in layer.modules())))

    # -- forward ------------------------------------------------------------
    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Patch embedding (with the prompt channels' share for
        ``location='concat-channel'``), CLS token and position embedding,
        as the host."""
        image_size = x.shape[-2:]
        x, patch_resolution = self.patch_embed(x)
        if self.layer_plan and self.layer_plan[0].mode == 'embed':
            prompts = self.prompt(0, x.shape[0])
            if prompts.shape[1] != x.shape[1]:
                raise ValueError(
                    "prompt_cfg.location='concat-channel': the input is "
                    f'{tuple(image_size)}, the prompt channels cover '
                    f'{tuple(self.patch_embed.init_input_size)} (the '
                    'backbone img_size)')
            x = x + prompts
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

    def format_output(self, x: torch.Tensor, patch_resolution: Tuple[int,
                                                                    int],
                      layer_index: int) -> torch.Tensor:
        """The output of layer ``layer_index``: the pools of Fig. 8, or the
        host's output types on the sequence without prompt tokens."""
        if self.out_type not in POOL_OUT_TYPES:
            return self._format_output(
                self.drop_prompts(x, layer_index), patch_resolution)
        _, prompts, patches = self.split_prompt_tokens(
            x, self.layer_plan[layer_index].holds_out)
        if self.out_type == 'image_pool':
            return patches.mean(dim=1)
        if self.out_type == 'prompt_pool':
            return prompts.mean(dim=1)
        # global: prompts and patches
        return torch.cat((prompts, patches), dim=1).mean(dim=1)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x, patch_resolution = self.embed(x)
        return tuple(self.forward_layers(x, patch_resolution)[1])

    def forward_layers(self, x: torch.Tensor, patch_resolution: Tuple[int,
                                                                     int],
                       start: int = 0, stop: Optional[int] = None
                       ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Layers ``start`` to ``stop - 1`` on the sequence ``x``; the
        sequence after them and their outputs (``out_indices``)."""
        outs = []
        for i in range(start, len(self.layers) if stop is None else stop):
            layer = self.layers[i]
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
                outs.append(self.format_output(x, patch_resolution, i))
            if self.layer_plan[i].drop_after:
                x = self.drop_prompts(x, i)
        return x, outs
