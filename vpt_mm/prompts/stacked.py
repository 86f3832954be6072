"""k prompt sets answering as one: a prompt ensemble (Fig. 15) in one
backbone forward."""
from typing import Sequence

import torch
from torch import nn

from .base import Prompts


class StackedPrompts(Prompts):
    """k prompt modules answering as one for a batch of k blocks: the
    ``batch_size`` of every call is split in k, block ``j`` (samples
    ``j * B / k`` to ``(j + 1) * B / k``) gets set ``j``'s prompts.

    Args:
        sets (Sequence[Prompts]): k prompt modules of one layout (the same
            length and layers).
    """

    def __init__(self, sets: Sequence[Prompts]) -> None:
        super().__init__(sets[0].num_tokens, sets[0].layers)
        for index, prompts in enumerate(sets):
            if (prompts.num_tokens, prompts.layers) != (self.num_tokens,
                                                        self.layers):
                raise ValueError(
                    f'prompt set {index} has {prompts.num_tokens} tokens '
                    f'for layers {prompts.layers}; set 0 has '
                    f'{self.num_tokens} for {self.layers}')
        self.sets = nn.ModuleList(sets)

    def reset_parameters(self) -> None:
        for prompts in self.sets:
            prompts.reset_parameters()

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        num_sets = len(self.sets)
        if batch_size % num_sets:
            raise ValueError(f'a prompt ensemble of {num_sets} sets needs a '
                             f'batch of k blocks, got {batch_size} samples')
        return torch.cat([
            prompts(layer_index, batch_size // num_sets)
            for prompts in self.sets
        ])
