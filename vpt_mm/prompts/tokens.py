"""Latent prompt tokens of a ViT-style encoder (VPT-shallow and
VPT-deep), stored as in the official VPT prompt files."""
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from .base import Prompts
from .init import xavier_bound


class PrefixPrompts(Prompts):
    """Prompt tokens of a ViT-style encoder, one set per prompted layer.

    Parameters are stored as in the official VPT prompt files:
    ``shallow_prompt`` of shape ``(1, p, prompt_dim)`` and, for deep prompts,
    ``deep_prompt`` of shape ``(num_layers - 1, p, prompt_dim)``. Layer 0
    receives the shallow prompts, layer ``i >= 1`` the deep set ``i - 1``.
    With ``layers`` (a subset of the encoder's layers) the first prompted
    layer holds ``shallow_prompt`` and the others the rows of
    ``deep_prompt``, in order. Sharing (Fig. 12) shrinks the parameters:
    ``'intra'`` keeps one vector per layer (``(., 1, prompt_dim)``)
    repeated ``p`` times, ``'inter'`` keeps the one set ``shallow_prompt``
    for every layer, ``'all'`` one vector ``(1, 1, prompt_dim)`` for every
    prompt of every layer. Each insertion applies ``dropout(proj(prompt))``
    with an independent dropout mask per sample.

    Args:
        num_tokens (int): Prompt length p (> 0).
        embed_dims (int): Width of the encoder tokens.
        num_layers (int): Number of encoder layers.
        patch_size (tuple[int, int]): Patch size; sets the init bound
            ``sqrt(6 / (3 * ph * pw + prompt_dim))`` (Xavier uniform over the
            patch-embedding fan-in and the prompt width).
        deep (bool): Whether every layer gets its own prompts.
        dropout (float): Prompt dropout at every insertion.
        project (int): -1 for none; otherwise the prompts' own width and a
            ``Linear(project, embed_dims)`` applied before insertion.
        layers (Sequence[int], optional): The prompted layers (0-based);
            default ``(0, )``, or all layers with ``deep=True``.
        sharing (str): ``'none'``, ``'intra'``, ``'inter'`` or ``'all'``.
        init_tokens (torch.Tensor, optional): ``(p, embed_dims)`` values
            for every prompted layer's prompts (CLS prototypes) instead of
            the random initialisation.
    """

    def __init__(self,
                 num_tokens: int,
                 embed_dims: int,
                 num_layers: int,
                 patch_size: Tuple[int, int],
                 deep: bool = False,
                 dropout: float = 0.,
                 project: int = -1,
                 layers: Optional[Sequence[int]] = None,
                 sharing: str = 'none',
                 init_tokens: Optional[torch.Tensor] = None) -> None:
        if layers is None:
            layers = range(num_layers) if deep else (0, )
        super().__init__(num_tokens, layers)
        self.num_layers = num_layers
        self.deep = deep
        self.sharing = sharing
        prompt_dim = project if project > 0 else embed_dims
        self.init_bound = xavier_bound(patch_size, prompt_dim)
        self.proj = (
            nn.Linear(prompt_dim, embed_dims)
            if project > 0 else nn.Identity())
        self.dropout = nn.Dropout(dropout)
        vectors = 1 if sharing in ('intra', 'all') else num_tokens
        self.shallow_prompt = nn.Parameter(
            torch.zeros(1, vectors, prompt_dim))
        if len(self.layers) > 1 and sharing not in ('inter', 'all'):
            self.deep_prompt = nn.Parameter(
                torch.zeros(len(self.layers) - 1, vectors, prompt_dim))
        else:
            self.register_parameter('deep_prompt', None)
        if init_tokens is not None:
            init_tokens = init_tokens.reshape(1, num_tokens, prompt_dim)
            self.register_buffer('init_tokens', init_tokens, persistent=False)
        else:
            self.init_tokens = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The official initialisation: uniform prompts within the Xavier
        bound (or the given ``init_tokens``), Kaiming-normal (fan-out)
        projection weights."""
        for prompt in (self.shallow_prompt, self.deep_prompt):
            if prompt is None:
                continue
            if self.init_tokens is not None:
                with torch.no_grad():
                    prompt.copy_(self.init_tokens.expand_as(prompt))
            else:
                nn.init.uniform_(prompt, -self.init_bound, self.init_bound)
        if isinstance(self.proj, nn.Linear):
            nn.init.kaiming_normal_(self.proj.weight, a=0, mode='fan_out')
            nn.init.zeros_(self.proj.bias)

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """Prompt tokens for encoder layer ``layer_index``.

        Returns:
            torch.Tensor: Shape ``(batch_size, p, embed_dims)``.
        """
        slot = self.slot(layer_index)
        if slot == 0 or self.deep_prompt is None:
            prompt = self.shallow_prompt
        else:
            prompt = self.deep_prompt[slot - 1:slot]
        prompt = self.proj(prompt).expand(batch_size, self.num_tokens, -1)
        return self.dropout(prompt)
