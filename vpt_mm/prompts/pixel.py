"""Prompts in the ViT's pixel space (Fig. 5 of the paper).

``prepend-pixel``: ``p`` learnable image patches go through the frozen patch
embedding and are prepended as tokens. ``concat-channel``: learnable extra
input channels (one image-sized plane per prompt) concatenated to every
image before the patch embedding, whose kernel gets matching extra input
channels. Both enter before the first layer only, and both answer the
:class:`~vpt_mm.prompts.base.Prompts` protocol for layer 0.
"""
import copy
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .base import Prompts
from .init import xavier_bound


class PixelPrompts(Prompts):
    """``p`` prompt patches in pixel space, embedded by the frozen patch
    embedding: ``pixels`` ``(1, C, ph, p * pw)``, a row of ``p`` patches.

    Initialised uniformly within the Xavier bound of the latent prompts
    (the official ablation's choice); the pixels live in the normalised
    input space of the images.

    The patch embedding is the backbone's: the prompts use it without
    owning it (it is no submodule of theirs, so neither their parameters
    nor their ``state_dict`` hold it), and a copy of the prompts (e.g. a
    prompt ensemble's sets) uses the same embedding.

    Args:
        num_tokens (int): Number of prompt patches p.
        in_channels (int): Image channels.
        patch_size (tuple[int, int]): The patch embedding's kernel.
        embed_dims (int): Token width (for the init bound).
        patch_embed (nn.Module): The backbone's frozen patch embedding,
            returning ``(tokens, patch_resolution)``.
    """

    def __init__(self, num_tokens: int, in_channels: int,
                 patch_size: Tuple[int, int], embed_dims: int,
                 patch_embed: nn.Module) -> None:
        super().__init__(num_tokens, (0, ))
        self.init_bound = xavier_bound(patch_size, embed_dims)
        self.pixels = nn.Parameter(
            torch.zeros(1, in_channels, patch_size[0],
                        patch_size[1] * num_tokens))
        object.__setattr__(self, 'patch_embed', patch_embed)  # not owned
        self.reset_parameters()

    def __deepcopy__(self, memo: dict) -> 'PixelPrompts':
        # A copy shares the backbone's embedding, unless the backbone is
        # being copied too (then ``memo`` already maps it to its copy).
        memo.setdefault(id(self.patch_embed), self.patch_embed)
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            clone.__dict__[key] = copy.deepcopy(value, memo)
        return clone

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.pixels, -self.init_bound, self.init_bound)

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """The prompt tokens ``(batch_size, p, D)``: the frozen patch
        embedding applied to the prompt patches."""
        self.slot(layer_index)
        tokens, _ = self.patch_embed(self.pixels)
        return tokens.expand(batch_size, -1, -1)


class ChannelPrompts(Prompts):
    """``p`` extra input channels ``channels`` ``(1, p, H, W)`` and the
    patch-embedding kernel for them, ``kernel`` ``(D, p, ph, pw)``.

    The patch embedding of ``[image; channels]`` with the kernel
    ``[W_image, kernel]`` is that of the image plus the convolution of the
    channels with ``kernel`` (the convolution is linear), so the frozen
    embedding runs unchanged and :meth:`forward` gives the added term, one
    row per patch token. The channels start uniform within the Xavier bound
    and the kernel at zero: the model starts as the frozen backbone and
    both train (the official ablation kept a frozen random kernel instead,
    see docs/ablations.md).

    Args:
        num_tokens (int): Number of extra channels p.
        img_size (tuple[int, int]): Input size the channels cover.
        patch_size (tuple[int, int]): Kernel (= stride) of the patch
            embedding.
        embed_dims (int): Token width.
    """

    def __init__(self, num_tokens: int, img_size: Tuple[int, int],
                 patch_size: Tuple[int, int], embed_dims: int) -> None:
        super().__init__(num_tokens, (0, ))
        self.patch_size = tuple(patch_size)
        self.init_bound = xavier_bound(patch_size, embed_dims)
        self.channels = nn.Parameter(torch.zeros(1, num_tokens, *img_size))
        self.kernel = nn.Parameter(
            torch.zeros(embed_dims, num_tokens, *patch_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.channels, -self.init_bound, self.init_bound)
        nn.init.zeros_(self.kernel)

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """The extra channels' share of the patch embedding, ``(batch_size,
        N, D)``, to add to the image's ``N`` patch tokens."""
        self.slot(layer_index)
        embedded = F.conv2d(self.channels, self.kernel,
                            stride=self.patch_size)
        return embedded.flatten(2).transpose(1, 2).expand(
            batch_size, -1, -1)
