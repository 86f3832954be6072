"""The prompts of a Swin Transformer, in the official per-stage layout."""
from typing import Sequence, Tuple

import torch
from torch import nn

from .base import Prompts
from .init import xavier_bound


class SwinPrompts(Prompts):
    """Shallow and (optionally) deep prompts of a Swin Transformer.

    Layers are the Swin's blocks, counted over all stages (stage 0's
    blocks first). ``shallow_prompt`` ``(1, p, C)`` enters block 0. With
    ``deep=True``, ``deep_prompts[0]`` ``(depth0 - 1, p, C)`` replaces the
    prompts before every later block of stage 0 and ``deep_prompts[i]``
    ``(depth_i, p, C_i)`` before every block of stage ``i >= 1`` (the
    official per-stage layout). All are drawn from Uniform(-v, v) with the
    Xavier bound over the stage-0 width C (as the official code, for every
    stage). Each call applies the prompt dropout, with an independent mask
    per sample.

    Args:
        num_tokens (int): Prompt length p (> 0).
        stage_dims (Sequence[int]): The width of each stage.
        depths (Sequence[int]): The number of blocks of each stage.
        patch_size (tuple[int, int]): Patch size (for the init bound).
        deep (bool): Whether every block gets its own prompts.
        dropout (float): Prompt dropout.
    """

    def __init__(self,
                 num_tokens: int,
                 stage_dims: Sequence[int],
                 depths: Sequence[int],
                 patch_size: Tuple[int, int],
                 deep: bool = False,
                 dropout: float = 0.) -> None:
        super().__init__(num_tokens, range(sum(depths)) if deep else (0, ))
        self.deep = deep
        # (stage, block within the stage) of every layer
        self.blocks = tuple((stage, block)
                            for stage, depth in enumerate(depths)
                            for block in range(depth))
        self.init_bound = xavier_bound(patch_size, stage_dims[0])
        self.dropout = nn.Dropout(dropout)
        self.shallow_prompt = nn.Parameter(
            torch.zeros(1, num_tokens, stage_dims[0]))
        if deep:
            self.deep_prompts = nn.ParameterList([
                nn.Parameter(
                    torch.zeros(depth - (i == 0), num_tokens, dims))
                for i, (depth, dims) in enumerate(zip(depths, stage_dims))
            ])
        else:
            self.deep_prompts = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for param in self.parameters():
            nn.init.uniform_(param, -self.init_bound, self.init_bound)

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """``(B, p, C_i)``: the prompts of block ``layer_index`` (counted
        over all stages; ``C_i`` is its stage's width)."""
        self.slot(layer_index)
        if layer_index == 0:
            prompt = self.shallow_prompt
        else:
            stage, block = self.blocks[layer_index]
            row = block - (stage == 0)
            prompt = self.deep_prompts[stage][row:row + 1]
        return self.dropout(prompt.expand(batch_size, -1, -1))
