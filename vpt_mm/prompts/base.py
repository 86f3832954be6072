"""The one protocol every token prompt module answers.

A prompt is a prefix token. A prompt module owns the parameters of the
prompts of one backbone, their initialisation, projection and dropout,
and answers one question: what are the new prompts of encoder layer ``i``
for a batch of ``B`` samples? ``prompts(i, B)`` is a ``(B, p, D)`` tensor
(``p`` = :attr:`Prompts.num_tokens`). Where a layer's prompts go (inserted
as tokens, used as attention keys and values, added element-wise) is the
backbone's decision, made once in its layer plan; the backbone's
:class:`~vpt_mm.prompts.sequence.PromptSequenceMixin` keeps the one counter
of prompt tokens, inserts them and drops them.

ConvNets have no tokens: their prompt is a border of the input image
(:class:`~vpt_mm.prompts.border.PadPrompter`, images in, images out).
"""
from typing import Sequence

import torch
from mmengine.model import BaseModule


class Prompts(BaseModule):
    """Base class of the token prompt modules.

    Args:
        num_tokens (int): Prompt length p (> 0), the tokens every prompted
            layer gets.
        layers (Sequence[int]): The 0-based indices of the layers that get
            new prompts (not empty).
    """

    def __init__(self, num_tokens: int, layers: Sequence[int]) -> None:
        super().__init__()
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) \
                or num_tokens <= 0:
            raise ValueError(f'num_tokens must be an int > 0, got '
                             f'{num_tokens!r}')
        self.num_tokens = num_tokens
        self.layers = tuple(layers)
        if not self.layers:
            raise ValueError('layers must not be empty')

    def has_prompts_for(self, layer_index: int) -> bool:
        """Whether layer ``layer_index`` gets new prompts."""
        return layer_index in self.layers

    def slot(self, layer_index: int) -> int:
        """The position of ``layer_index`` in :attr:`layers`.

        Raises:
            IndexError: The layer gets no prompts.
        """
        if not self.has_prompts_for(layer_index):
            raise IndexError(f'no prompts for layer {layer_index}')
        return self.layers.index(layer_index)

    def reset_parameters(self) -> None:
        """The initialisation of the official code (subclasses)."""
        raise NotImplementedError

    def init_weights(self) -> None:
        self.reset_parameters()

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """The new prompts of layer ``layer_index``, ``(batch_size, p,
        D)``."""
        raise NotImplementedError
