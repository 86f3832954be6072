"""Where prompt tokens live in a sequence: the one counter, the one
insertion and the one drop.

A prompted sequence is ``[extra tokens, prompts, image tokens]``: the
host's extra tokens first (``num_extra_tokens``: a ViT's CLS token, none on
a Swin), then :attr:`PromptSequenceMixin.num_prompt_tokens` prompt tokens,
then the image tokens. The prompted ViT and Swin (whose windowed attention
splits the prompts off inside each block and puts them back) both keep
their prompts so, and no other code slices a sequence by prompt position.
"""
from typing import Tuple

import torch


class PromptSequenceMixin:
    """Mixin for a host backbone with ``num_extra_tokens`` whose sequences
    may carry prompt tokens.

    Attributes:
        num_prompt_tokens (int): The one counter of extra tokens that
            prompts add to a sequence that holds them (0 when prompts never
            enter the sequence as tokens).
    """

    num_prompt_tokens: int = 0

    def insert_prompt_tokens(self, x: torch.Tensor, prompts: torch.Tensor,
                             replace: bool = False) -> torch.Tensor:
        """``x`` with ``prompts`` ``(B, p, D)`` right after its extra tokens.

        Args:
            x (torch.Tensor): ``(B, N, D)``.
            prompts (torch.Tensor): ``(B, num_prompt_tokens, D)``.
            replace (bool): ``x`` holds prompt tokens, which ``prompts``
                replace.
        """
        start = self.num_extra_tokens
        end = start + self.num_prompt_tokens if replace else start
        return torch.cat((x[:, :start], prompts, x[:, end:]), dim=1)

    def drop_prompt_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (which holds prompt tokens) without them."""
        start = self.num_extra_tokens
        return torch.cat(
            (x[:, :start], x[:, start + self.num_prompt_tokens:]), dim=1)

    def split_prompt_tokens(
        self, x: torch.Tensor, holds_prompts: bool = True
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(extra tokens, prompt tokens, image tokens)`` of ``x``; the
        prompt part is empty when ``x`` holds none."""
        start = self.num_extra_tokens
        end = start + (self.num_prompt_tokens if holds_prompts else 0)
        return x[:, :start], x[:, start:end], x[:, end:]
