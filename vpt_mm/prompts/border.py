"""Pixel prompts of a ConvNet: a learnable border around the input image
(VPT on ConvNets, the official "pad" prompter).

A ConvNet has no tokens, so its prompt is no token either: the prompter is
independent of the backbone that follows it. It maps a normalised ``(B, C,
S, S)`` batch to ``(B, C, S + 2p, S + 2p)``, so any mmpretrain backbone can
run on its output.
"""
from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from .config import PIXEL_PROMPT_INITS

# ImageNet statistics of images in [0, 1] (those of the data preprocessor,
# divided by 255).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PadPrompter(BaseModule):
    """A learnable border of width p around normalised images.

    As the official VPT "pad" prompter: two tensors, ``top_bottom`` of shape
    ``(1, C, 2p, S + 2p)`` and ``left_right`` of shape ``(1, C, S, 2p)``.
    The image is widened with ``left_right[..., :p]`` on the left and
    ``left_right[..., p:]`` on the right, then heightened with
    ``top_bottom[:, :, :p]`` above and ``top_bottom[:, :, p:]`` below: the
    output is ``(B, C, S + 2p, S + 2p)`` and its centre is the input, bit for
    bit. With ``init='uniform'`` the parameters live in [0, 1] pixel space
    and are normalised with ``mean``/``std`` at every forward, like the
    images before them.

    Args:
        num_tokens (int): The border width p (> 0).
        img_size (int): The input's height and width S.
        in_channels (int): Image channels. Defaults to 3.
        init (str): ``'uniform'`` or ``'gaussian'``.
        mean (Sequence[float]): Per-channel mean of [0, 1] images.
        std (Sequence[float]): Per-channel std of [0, 1] images.
    """

    def __init__(self,
                 num_tokens: int,
                 img_size: int,
                 in_channels: int = 3,
                 init: str = 'uniform',
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD) -> None:
        super().__init__()
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) \
                or num_tokens <= 0:
            raise ValueError(f'num_tokens must be an int > 0, got '
                             f'{num_tokens!r}')
        if isinstance(img_size, bool) or not isinstance(img_size, int) \
                or img_size <= 0:
            raise ValueError(f'img_size must be an int > 0, got {img_size!r}'
                             ' (pixel prompts need square inputs of one size)')
        if init not in PIXEL_PROMPT_INITS:
            raise ValueError(f'init must be one of {list(PIXEL_PROMPT_INITS)}'
                             f', got {init!r}')
        if len(mean) != in_channels or len(std) != in_channels:
            raise ValueError(f'mean and std need {in_channels} values, got '
                             f'{list(mean)} and {list(std)}')
        self.num_tokens = num_tokens
        self.img_size = img_size
        self.in_channels = in_channels
        self.init = init
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, -1, 1, 1), persistent=False)
        width = 2 * num_tokens
        self.top_bottom = nn.Parameter(
            torch.zeros(1, in_channels, width, img_size + width))
        self.left_right = nn.Parameter(
            torch.zeros(1, in_channels, img_size, width))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform(0, 1) or N(0, 1), as ``init`` says."""
        for param in (self.top_bottom, self.left_right):
            if self.init == 'uniform':
                nn.init.uniform_(param, 0., 1.)
            else:
                nn.init.normal_(param, 0., 1.)

    def init_weights(self) -> None:
        self.reset_parameters()

    def border(self) -> tuple:
        """The (normalised) ``top_bottom`` and ``left_right`` tensors."""
        if self.init == 'uniform':
            return ((self.top_bottom - self.mean) / self.std,
                    (self.left_right - self.mean) / self.std)
        return self.top_bottom, self.left_right

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pad ``x`` (B, C, S, S) to (B, C, S + 2p, S + 2p)."""
        size, channels = self.img_size, self.in_channels
        if x.dim() != 4 or x.shape[1] != channels or \
                tuple(x.shape[2:]) != (size, size):
            raise ValueError(
                f'pixel prompts of width {self.num_tokens} were built for '
                f'(B, {channels}, {size}, {size}) inputs (img_size), got '
                f'{tuple(x.shape)}')
        top_bottom, left_right = self.border()
        batch, p = x.shape[0], self.num_tokens
        left_right = left_right.to(x.dtype).expand(batch, -1, -1, -1)
        top_bottom = top_bottom.to(x.dtype).expand(batch, -1, -1, -1)
        x = torch.cat((left_right[..., :p], x, left_right[..., p:]), dim=3)
        return torch.cat(
            (top_bottom[:, :, :p], x, top_bottom[:, :, p:]), dim=2)
