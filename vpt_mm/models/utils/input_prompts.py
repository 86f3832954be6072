"""Prompts in the ViT's pixel space (Fig. 5 of the paper).

``prepend-pixel``: ``p`` learnable image patches go through the frozen patch
embedding and are prepended as tokens. ``concat-channel``: learnable extra
input channels (one image-sized plane per prompt) concatenated to every
image before the patch embedding, whose kernel gets matching extra input
channels. Both enter before the first layer only.
"""
import math
from typing import Callable, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn


class PixelPrompts(BaseModule):
    """``p`` prompt patches in pixel space, embedded by the frozen patch
    embedding: ``pixels`` ``(1, C, ph, p * pw)``, a row of ``p`` patches.

    Initialised uniformly within the Xavier bound of the latent prompts
    (the official ablation's choice); the pixels live in the normalised
    input space of the images.

    Args:
        num_tokens (int): Number of prompt patches p.
        in_channels (int): Image channels.
        patch_size (tuple[int, int]): The patch embedding's kernel.
        embed_dims (int): Token width (for the init bound).
    """

    def __init__(self, num_tokens: int, in_channels: int,
                 patch_size: Tuple[int, int], embed_dims: int) -> None:
        super().__init__()
        self.num_tokens = num_tokens
        self.layers = (0, )
        self.init_bound = math.sqrt(
            6. / (3 * patch_size[0] * patch_size[1] + embed_dims))
        self.pixels = nn.Parameter(
            torch.zeros(1, in_channels, patch_size[0],
                        patch_size[1] * num_tokens))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.pixels, -self.init_bound, self.init_bound)

    def init_weights(self) -> None:
        self.reset_parameters()

    def has_prompts_for(self, layer_index: int) -> bool:
        return layer_index == 0

    def forward(self, layer_index: int, batch_size: int,
                patch_embed: Callable) -> torch.Tensor:
        """The prompt tokens ``(batch_size, p, D)``: ``patch_embed`` (the
        backbone's frozen one) applied to the prompt patches."""
        if layer_index != 0:
            raise IndexError(f'no prompts for layer {layer_index}')
        tokens, _ = patch_embed(self.pixels)
        return tokens.expand(batch_size, -1, -1)


class ChannelPrompts(BaseModule):
    """``p`` extra input channels ``channels`` ``(1, p, H, W)`` and the
    patch-embedding kernel for them, ``kernel`` ``(D, p, ph, pw)``.

    The patch embedding of ``[image; channels]`` with the kernel
    ``[W_image, kernel]`` is that of the image plus the convolution of the
    channels with ``kernel`` (the convolution is linear), so the frozen
    embedding runs unchanged and :meth:`forward` gives the added term. The
    channels start uniform within the Xavier bound and the kernel at zero:
    the model starts as the frozen backbone and both train (the official
    ablation kept a frozen random kernel instead, see docs/ablations.md).

    Args:
        num_tokens (int): Number of extra channels p.
        img_size (tuple[int, int]): Input size the channels cover.
        patch_size (tuple[int, int]): Kernel (= stride) of the patch
            embedding.
        embed_dims (int): Token width.
    """

    def __init__(self, num_tokens: int, img_size: Tuple[int, int],
                 patch_size: Tuple[int, int], embed_dims: int) -> None:
        super().__init__()
        self.num_tokens = num_tokens
        self.layers = (0, )
        self.patch_size = tuple(patch_size)
        self.init_bound = math.sqrt(
            6. / (3 * patch_size[0] * patch_size[1] + embed_dims))
        self.channels = nn.Parameter(torch.zeros(1, num_tokens, *img_size))
        self.kernel = nn.Parameter(
            torch.zeros(embed_dims, num_tokens, *patch_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.channels, -self.init_bound, self.init_bound)
        nn.init.zeros_(self.kernel)

    def init_weights(self) -> None:
        self.reset_parameters()

    def has_prompts_for(self, layer_index: int) -> bool:
        return False  # no tokens: the channels enter the patch embedding

    def forward(self, batch_size: int,
                image_size: Tuple[int, int]) -> torch.Tensor:
        """The extra channels' share of the patch embedding, ``(batch_size,
        N, D)``, to add to the image's patch tokens."""
        if tuple(image_size) != tuple(self.channels.shape[-2:]):
            raise ValueError(
                f"prompt_cfg.location='concat-channel': the input is "
                f'{tuple(image_size)}, the prompt channels cover '
                f'{tuple(self.channels.shape[-2:])} (the backbone img_size)')
        embedded = F.conv2d(self.channels, self.kernel,
                            stride=self.patch_size)
        return embedded.flatten(2).transpose(1, 2).expand(
            batch_size, -1, -1)
