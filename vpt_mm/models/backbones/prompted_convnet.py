"""Visual Prompt Tuning on ConvNets: a learnable pixel border around the
input of mmpretrain's ConvNeXt and ResNet (the paper's Sec. 4.4)."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.backbones import ConvNeXt, ResNet

from vpt_mm.prompts.border import PadPrompter
from vpt_mm.prompts.config import parse_pixel_prompt_cfg
from vpt_mm.registry import register_backbone
from .frozen_prompted import FrozenPromptedMixin


class PixelPromptedMixin(FrozenPromptedMixin):
    """Turns an mmpretrain backbone into a frozen one behind a
    :class:`~vpt_mm.prompts.border.PadPrompter`.

    The host's ``forward`` runs on the padded image; with
    ``num_tokens=0`` there is no prompter and the model is exactly the
    host (frozen). The border adds no token to any sequence, so the
    backbone has no prompt-token counter.

    Args:
        prompt_cfg (dict, optional): See
            :func:`~vpt_mm.prompts.config.parse_pixel_prompt_cfg`:
            ``num_tokens`` is the border width p.
        img_size (int): The height and width of the input before padding
            (the crop); the host sees ``img_size + 2 p``. Defaults to 224.
        *args, **kwargs: Arguments of the host backbone.
    """

    def __init__(self,
                 *args,
                 prompt_cfg: Optional[dict] = None,
                 img_size: int = 224,
                 **kwargs) -> None:
        self.prompt_cfg = parse_pixel_prompt_cfg(prompt_cfg)
        super().__init__(*args, **kwargs)
        num_tokens = self.prompt_cfg['num_tokens']
        if num_tokens > 0:
            self.prompt = PadPrompter(
                num_tokens,
                img_size,
                in_channels=kwargs.get('in_channels', 3),
                init=self.prompt_cfg['init'])
        else:
            self.prompt = None
        self.freeze_backbone()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.prompt is not None:
            x = self.prompt(x)
        return super().forward(x)


@register_backbone
class PromptedConvNeXt(PixelPromptedMixin, ConvNeXt):
    """mmpretrain's :class:`ConvNeXt`, frozen, with pixel prompts: the input
    ``(B, 3, S, S)`` becomes ``(B, 3, S + 2p, S + 2p)``, its border learnt.
    See :class:`PixelPromptedMixin` for ``prompt_cfg`` and ``img_size``.

    Example::

        backbone = dict(type='PromptedConvNeXt', arch='base',
                        prompt_cfg=dict(num_tokens=5), img_size=224)
    """


@register_backbone
class PromptedResNet(PixelPromptedMixin, ResNet):
    """mmpretrain's :class:`ResNet`, frozen (BatchNorm in eval mode, its
    running statistics never updated), with pixel prompts. See
    :class:`PixelPromptedMixin` for ``prompt_cfg`` and ``img_size``.

    Example::

        backbone = dict(type='PromptedResNet', depth=50,
                        prompt_cfg=dict(num_tokens=5), img_size=224)
    """
