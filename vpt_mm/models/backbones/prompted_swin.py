"""Visual Prompt Tuning on mmpretrain's Swin Transformer."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import PatchMerging
from mmpretrain.models.backbones import SwinTransformer
from mmpretrain.models.backbones.swin_transformer import SwinBlock
from mmpretrain.models.utils import (ShiftWindowMSA, WindowMSA,
                                     resize_pos_embed)

from vpt_mm.prompts.config import parse_prompt_cfg
from vpt_mm.prompts.sequence import PromptSequenceMixin
from vpt_mm.prompts.swin import SwinPrompts
from vpt_mm.registry import register_backbone
from .frozen_prompted import FrozenPromptedMixin

SWIN_OUT_TYPES = ('featmap', 'avg_featmap')


def _check_out_indices(swin, args: tuple, kwargs: dict) -> None:
    """``out_indices`` name stages the arch has (the host fails with a bare
    ``IndexError`` otherwise, e.g. a 2-stage arch with the default
    ``(3, )``)."""
    arch = args[0] if args else kwargs.get('arch', 'tiny')
    if isinstance(arch, str):
        depths = swin.arch_zoo.get(arch.lower(), {}).get('depths')
    else:
        depths = arch.get('depths') if isinstance(arch, dict) else None
    out_indices = kwargs.get('out_indices', (3, ))
    if depths is None:
        return  # the host names a bad arch itself
    if isinstance(out_indices, int):
        out_indices = [out_indices]
    bad = [i for i in out_indices if not 0 <= i < len(depths)]
    if bad:
        raise ValueError(
            f'PromptedSwin: out_indices {tuple(out_indices)} name stage(s) '
            f'{bad} of an arch with {len(depths)} stages (depths '
            f'{list(depths)}); give out_indices within [0, {len(depths)})')

@register_backbone
class PromptedSwin(FrozenPromptedMixin, PromptSequenceMixin,
                   SwinTransformer):
    """Swin Transformer with visual prompts (VPT-shallow / VPT-deep), as the
    official VPT ``PromptedSwinTransformer`` behaves (the paper's Sec. 4.2
    and Appendix A).

    The p prompt tokens travel in one sequence ``[prompts, image tokens]``
    (there is no CLS; :class:`~vpt_mm.prompts.sequence.PromptSequenceMixin`
    inserts and drops them). The windowed attention and the patch merging
    need the image tokens as a map, so each block and each merging splits
    the prompts off and puts them back:

    * each block: ``norm1`` over all tokens; the same prompts are prepended
      to every (shifted) window, whose relative position bias and shift
      mask are zero-padded for the prompt rows and columns; the prompts'
      outputs are averaged over the windows; residual, ``norm2`` and FFN
      over all tokens;
    * patch merging: the image tokens are merged by the host's
      :class:`PatchMerging`, the prompts tiled 4 times along the channels
      in its (``nn.Unfold``) layout and put through the same norm and
      reduction, so the prompts go on with the stage's width;
    * deep prompts (``prompt_cfg.deep``): every block but the very first
      replaces the prompts with its own
      (:class:`~vpt_mm.prompts.swin.SwinPrompts`, whose layers are the
      blocks counted over all stages).

    Prompts never reach a feature map: ``out_type='featmap'`` (the
    default) gives the host's ``(B, C, H, W)`` outputs of the image tokens.
    ``out_type='avg_featmap'`` gives ``(B, C)`` per output stage: the
    stage's norm over all tokens, then the average over all tokens, prompts
    included (the official classification feature; for a linear head with
    ``neck=None``). The host is frozen as in :class:`PromptedViT`; with
    ``num_tokens=0`` the model is exactly mmpretrain's
    :class:`SwinTransformer`.

    Args:
        prompt_cfg (dict, optional): See
            :func:`vpt_mm.prompts.config.parse_prompt_cfg`; only
            ``num_tokens``, ``deep``, ``dropout`` and ``project`` are
            accepted, and ``project`` must be -1 (the official Swin prompts
            have no projection).
        out_type (str): ``'featmap'`` or ``'avg_featmap'``.
        *args, **kwargs: Arguments of mmpretrain's ``SwinTransformer``. A
            ``Pretrained`` ``init_cfg`` is loaded strictly (relative
            position indices, buffers the model computes, may be absent;
            bias tables and the absolute position embedding are resized).
    """

    def __init__(self,
                 *args,
                 prompt_cfg: Optional[dict] = None,
                 out_type: str = 'featmap',
                 **kwargs) -> None:
        self.prompt_cfg = parse_prompt_cfg(
            prompt_cfg, ('num_tokens', 'deep', 'dropout', 'project'),
            owner='PromptedSwin')
        if self.prompt_cfg['project'] != -1:
            raise ValueError('prompt_cfg.project must be -1 for PromptedSwin'
                             ' (no projection), got '
                             f'{self.prompt_cfg["project"]!r}')
        if out_type not in SWIN_OUT_TYPES:
            raise ValueError(f'out_type must be one of {list(SWIN_OUT_TYPES)}'
                             f', got {out_type!r}')
        _check_out_indices(self, args, kwargs)
        super().__init__(*args, **kwargs)
        self.out_type = out_type
        num_tokens = self.prompt_cfg['num_tokens']
        self.num_prompt_tokens = num_tokens  # the sequence's prompt tokens
        if num_tokens > 0:
            if kwargs.get('with_cp'):
                raise ValueError('with_cp is not supported by PromptedSwin '
                                 'with prompts (num_tokens > 0)')
            self._check_host_modules()
            stage_dims = [stage.embed_dims for stage in self.stages]
            self.prompt = SwinPrompts(
                num_tokens,
                stage_dims,
                self.depths,
                self.patch_embed.projection.kernel_size,
                deep=self.prompt_cfg['deep'],
                dropout=self.prompt_cfg['dropout'])
        else:
            self.prompt = None
        self.freeze_backbone()

    def _check_host_modules(self) -> None:
        """The prompted forward calls the submodules of mmpretrain's
        :class:`SwinBlock` and mmcv's :class:`PatchMerging`; refuse others."""
        for i, stage in enumerate(self.stages):
            for j, block in enumerate(stage.blocks):
                if not (isinstance(block, SwinBlock)
                        and isinstance(block.attn, ShiftWindowMSA)
                        and type(block.attn.w_msa) is WindowMSA):
                    raise TypeError(
                        f'PromptedSwin: stage {i} block {j} is not an '
                        'mmpretrain SwinBlock with a ShiftWindowMSA/WindowMSA')
            if stage.downsample is not None and not isinstance(
                    stage.downsample, PatchMerging):
                raise TypeError(f'PromptedSwin: stage {i} downsamples with '
                                f'{type(stage.downsample).__name__}, not '
                                "mmcv's PatchMerging")

    # -- weights ------------------------------------------------------------
    def may_be_missing(self, key: str) -> bool:
        # a classification checkpoint has the last stage's norm only; the
        # norms of earlier output stages (segmentation) keep their init
        last = len(self.stages) - 1
        return key.endswith('relative_position_index') or any(
            key.startswith(f'norm{i}.') for i in self.out_indices
            if i != last)

    def may_differ_in_shape(self, key: str) -> bool:
        return key.endswith('relative_position_bias_table') or \
            key == 'absolute_pos_embed'

    def prepare_pretrained(self, state_dict: dict) -> dict:
        # the index buffers are computed, not learnt: take the model's own
        own = self.state_dict()
        for key, value in own.items():
            if key.endswith('relative_position_index') and \
                    key not in state_dict:
                state_dict[key] = value
        return state_dict

    # -- the prompted pieces --------------------------------------------------
    @staticmethod
    def window_attention(w_msa: WindowMSA, windows: torch.Tensor,
                         prompts: torch.Tensor,
                         mask: Optional[torch.Tensor]
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``w_msa`` over ``[prompts; window]`` for every window.

        Args:
            w_msa (WindowMSA): The host's window attention.
            windows (Tensor): ``(B * nW, N, C)``, batch-major.
            prompts (Tensor): ``(B, p, C)``, the same for all windows of a
                sample.
            mask (Tensor, optional): The host's shift mask ``(nW, N, N)``.

        Returns:
            tuple: The windows' outputs ``(B * nW, N, C)`` and the prompts'
            outputs averaged over the windows ``(B, p, C)``.
        """
        batch, num_prompts, dims = prompts.shape
        num_windows = windows.shape[0] // batch
        length = windows.shape[1]
        total = num_prompts + length
        heads = w_msa.num_heads

        def split_heads(t: torch.Tensor) -> torch.Tensor:
            # (n, L, 3C) -> (3, n, heads, L, C / heads)
            return t.reshape(t.shape[0], t.shape[1], 3, heads,
                             dims // heads).permute(2, 0, 3, 1, 4)

        # the prompts' q, k, v are the same in every window: computed once
        qkv_prompts = split_heads(w_msa.qkv(prompts)).unsqueeze(2).expand(
            -1, -1, num_windows, -1, -1, -1).reshape(
                3, batch * num_windows, heads, num_prompts, dims // heads)
        qkv = torch.cat((qkv_prompts, split_heads(w_msa.qkv(windows))), dim=3)
        q, k, v = qkv[0], qkv[1], qkv[2]

        attn = (q * w_msa.scale) @ k.transpose(-2, -1)
        bias = w_msa.relative_position_bias_table[
            w_msa.relative_position_index.view(-1)].view(
                length, length, -1).permute(2, 0, 1)
        # no position bias to or from a prompt
        attn = attn + F.pad(bias, (num_prompts, 0, num_prompts, 0))[None]
        if mask is not None:
            mask = F.pad(mask, (num_prompts, 0, num_prompts, 0))
            attn = attn.view(batch, num_windows, heads, total,
                             total) + mask[None, :, None]
            attn = attn.view(-1, heads, total, total)
        attn = w_msa.attn_drop(w_msa.softmax(attn))
        out = (attn @ v).transpose(1, 2).reshape(-1, total, dims)

        prompt_out = out[:, :num_prompts].reshape(
            batch, num_windows, num_prompts, dims).mean(dim=1)
        window_out = out[:, num_prompts:]
        window_out = w_msa.proj_drop(w_msa.proj(window_out))
        prompt_out = w_msa.proj_drop(w_msa.proj(prompt_out))
        return window_out, prompt_out

    def shift_window_attention(
            self, shift_msa: ShiftWindowMSA, x: torch.Tensor,
            prompts: torch.Tensor,
            hw_shape: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
        """The host's :class:`ShiftWindowMSA` forward on ``x`` (B, H * W, C)
        with ``prompts`` (B, p, C) in every window (the same padding,
        cyclic shift and mask, calling the host's helpers)."""
        batch, length, dims = x.shape
        height, width = hw_shape
        if length != height * width:
            raise ValueError(f'{length} image tokens do not make a '
                             f'{height} x {width} map')
        window_size = shift_msa.window_size
        shift_size = shift_msa.shift_size
        if min(height, width) == window_size:
            shift_size = shift_size if shift_msa.pad_small_map else 0
        elif min(height, width) < window_size and \
                not shift_msa.pad_small_map:
            raise ValueError(
                f'the {height} x {width} map is smaller than the window size '
                f'{window_size}; set pad_small_map=True or a smaller '
                'window_size')
        x = x.view(batch, height, width, dims)
        pad_r = (window_size - width % window_size) % window_size
        pad_b = (window_size - height % window_size) % window_size
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        padded_h, padded_w = x.shape[1], x.shape[2]
        if shift_size > 0:
            x = torch.roll(x, shifts=(-shift_size, -shift_size), dims=(1, 2))
        mask = shift_msa.get_attn_mask((padded_h, padded_w),
                                       window_size=window_size,
                                       shift_size=shift_size,
                                       device=x.device)
        windows = shift_msa.window_partition(x, window_size).view(
            -1, window_size**2, dims)
        windows, prompts = self.window_attention(shift_msa.w_msa, windows,
                                                 prompts, mask)
        windows = windows.view(-1, window_size, window_size, dims)
        x = shift_msa.window_reverse(windows, padded_h, padded_w,
                                     window_size)
        if shift_size > 0:
            x = torch.roll(x, shifts=(shift_size, shift_size), dims=(1, 2))
        x = x[:, :height, :width].reshape(batch, height * width, dims)
        return shift_msa.drop(x), shift_msa.drop(prompts)

    def forward_block(self, block: SwinBlock, tokens: torch.Tensor,
                      hw_shape: Tuple[int, int]) -> torch.Tensor:
        """A :class:`SwinBlock` on ``[prompts, image tokens]``."""
        _, prompts, x = self.split_prompt_tokens(tokens)
        attn_x, attn_prompts = self.shift_window_attention(
            block.attn, block.norm1(x), block.norm1(prompts), hw_shape)
        tokens = torch.cat((prompts + attn_prompts, x + attn_x), dim=1)
        return block.ffn(block.norm2(tokens), identity=tokens)

    @staticmethod
    def merge_patches(merging: PatchMerging, x: torch.Tensor,
                      prompts: torch.Tensor, hw_shape: Tuple[int, int]
                      ) -> Tuple[torch.Tensor, torch.Tensor, Tuple[int,
                                                                   int]]:
        """The host's patch merging for the image tokens; the prompts tiled
        in its ``nn.Unfold`` channel layout (channel c of neighbour k at
        ``c * K + k``) and reduced by the same norm and linear layer."""
        x, hw_shape = merging(x, hw_shape)
        kernel = merging.sampler.kernel_size
        prompts = prompts.repeat_interleave(kernel[0] * kernel[1], dim=-1)
        if merging.norm is not None:
            prompts = merging.norm(prompts)
        return x, merging.reduction(prompts), hw_shape

    # -- forward ------------------------------------------------------------
    def _output(self, index: int, tokens: torch.Tensor,
                hw_shape: Tuple[int, int]) -> torch.Tensor:
        norm = getattr(self, f'norm{index}')
        if self.out_type == 'avg_featmap':  # over all tokens, prompts too
            return norm(tokens).mean(dim=1)
        x = self.drop_prompt_tokens(tokens)
        dims = x.shape[-1]
        return norm(x).view(-1, *hw_shape, dims).permute(0, 3, 1,
                                                         2).contiguous()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.prompt is None and self.out_type == 'featmap':
            return super().forward(x)
        x, hw_shape = self.patch_embed(x)
        if self.use_abs_pos_embed:
            x = x + resize_pos_embed(self.absolute_pos_embed,
                                     self.patch_resolution, hw_shape,
                                     self.interpolate_mode,
                                     self.num_extra_tokens)
        x = self.drop_after_pos(x)
        batch = x.shape[0]
        if self.prompt is not None:
            x = self.insert_prompt_tokens(x, self.prompt(0, batch))

        outs: List[torch.Tensor] = []
        layer_index = 0
        for i, stage in enumerate(self.stages):
            if self.prompt is None:
                x, _ = stage(x, hw_shape, do_downsample=False)
            else:
                for block in stage.blocks:
                    if layer_index > 0 and \
                            self.prompt.has_prompts_for(layer_index):
                        x = self.insert_prompt_tokens(
                            x, self.prompt(layer_index, batch), replace=True)
                    x = self.forward_block(block, x, hw_shape)
                    layer_index += 1
            merged = stage.downsample is not None
            if merged and self.out_after_downsample:
                x, hw_shape = self._merge(stage.downsample, x, hw_shape)
            if i in self.out_indices:
                outs.append(self._output(i, x, hw_shape))
            if merged and not self.out_after_downsample:
                x, hw_shape = self._merge(stage.downsample, x, hw_shape)
        return tuple(outs)

    def _merge(self, merging: PatchMerging, tokens: torch.Tensor,
               hw_shape: Tuple[int, int]
               ) -> Tuple[torch.Tensor, Tuple[int, int]]:
        if self.prompt is None:
            return merging(tokens, hw_shape)
        _, prompts, x = self.split_prompt_tokens(tokens)
        x, prompts, hw_shape = self.merge_patches(merging, x, prompts,
                                                  hw_shape)
        return self.insert_prompt_tokens(x, prompts), hw_shape
