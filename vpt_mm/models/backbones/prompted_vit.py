"""Visual Prompt Tuning on mmpretrain's Vision Transformer."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed

from vpt_mm.registry import register_backbone
from ..utils.checkpoint import load_state_dict_strictly, read_state_dict
from ..utils.prompt import PrefixPrompts, parse_prompt_cfg


@register_backbone
class PromptedViT(VisionTransformer):
    """Vision Transformer with visual prompts (VPT-shallow / VPT-deep).

    Behaves as the official VPT model: the sequence entering layer 0 is
    ``[CLS, dropout(proj(P)), patches]``, prompts inserted after the position
    embedding and carrying none; with ``deep=True`` the prompt slots of every
    later layer's input are replaced by that layer's own prompts. The
    backbone is frozen: only :attr:`prompt` has ``requires_grad=True`` and,
    in training mode, only :attr:`prompt` is in train mode (the frozen
    encoder runs as in evaluation, its dropout off). Prompt tokens never
    reach an output: ``featmap``, ``avg_featmap`` and ``raw`` outputs hold
    the host's tokens only. With ``num_tokens=0`` the model is exactly
    mmpretrain's :class:`VisionTransformer`.

    Args:
        prompt_cfg (dict, optional): See
            :func:`vpt_mm.models.utils.prompt.parse_prompt_cfg`.
        *args, **kwargs: Arguments of mmpretrain's ``VisionTransformer``.
            A ``Pretrained`` ``init_cfg`` is loaded strictly: every backbone
            weight must be present with its shape (``pos_embed`` is resized);
            prompts may be present (their shapes must match) or not.
    """

    def __init__(self,
                 *args,
                 prompt_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        self.prompt_cfg = parse_prompt_cfg(prompt_cfg)
        super().__init__(*args, **kwargs)
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
        self.freeze_backbone()

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
        patches]``."""
        if self.num_prompt_tokens == 0:
            return x
        start = self.num_extra_tokens
        return torch.cat(
            (x[:, :start], x[:, start + self.num_prompt_tokens:]), dim=1)

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
            x = layer(self.insert_prompts(x, i))
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(
                    self._format_output(self.drop_prompts(x),
                                        patch_resolution))
        return tuple(outs)
