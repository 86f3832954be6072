"""Learnable prompt tokens, the one part of a prompted backbone that trains.

A prompt is a prefix token: the backbone keeps one counter of extra tokens
(:attr:`PrefixPrompts.num_tokens`), inserts them in one place and drops them
in one place. This module owns the parameters, their initialisation, the
optional projection and the prompt dropout.
"""
import math
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

PROMPT_CFG_KEYS = ('num_tokens', 'deep', 'dropout', 'project', 'deep_mode')
DEEP_MODES = ('prefix', 'token')


def parse_prompt_cfg(prompt_cfg: Optional[dict]) -> dict:
    """Validate a backbone's ``prompt_cfg`` and fill in the defaults.

    Args:
        prompt_cfg (dict, optional): ``num_tokens`` (int >= 0, default 0),
            ``deep`` (bool, default False), ``dropout`` (float in [0, 1),
            default 0.) and ``project`` (int, -1 for no projection or the
            width of the prompts before a linear projection to the
            embedding width; default -1) and ``deep_mode`` (how deep prompts
            enter the encoder: ``'prefix'``, the default, as extra keys and
            values of every attention, or ``'token'``, as tokens of the
            sequence that each layer replaces; the two compute the same
            function, see :class:`vpt_mm.models.backbones.PromptedViT`.
            Shallow prompts are always tokens).

    Returns:
        dict: The complete configuration.

    Raises:
        ValueError: Naming the offending key and value.
    """
    cfg = dict(
        num_tokens=0, deep=False, dropout=0., project=-1,
        deep_mode='prefix')
    prompt_cfg = dict(prompt_cfg or {})
    unknown = sorted(set(prompt_cfg) - set(PROMPT_CFG_KEYS))
    if unknown:
        raise ValueError(f'prompt_cfg: unknown key(s) {unknown}; allowed '
                         f'keys are {list(PROMPT_CFG_KEYS)}')
    cfg.update(prompt_cfg)
    num_tokens, dropout, project = (cfg['num_tokens'], cfg['dropout'],
                                    cfg['project'])
    if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) \
            or num_tokens < 0:
        raise ValueError('prompt_cfg.num_tokens must be an int >= 0, got '
                         f'{num_tokens!r}')
    if not isinstance(cfg['deep'], bool):
        raise ValueError(
            f'prompt_cfg.deep must be True or False, got {cfg["deep"]!r}')
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0 <= dropout < 1:
        raise ValueError('prompt_cfg.dropout must be a float in [0, 1), got '
                         f'{dropout!r}')
    if isinstance(project, bool) or not isinstance(project, int) or \
            not (project == -1 or project > 0):
        raise ValueError('prompt_cfg.project must be -1 (no projection) or '
                         f'a positive int, got {project!r}')
    if not isinstance(cfg['deep_mode'], str) or \
            cfg['deep_mode'] not in DEEP_MODES:
        raise ValueError(
            f'prompt_cfg.deep_mode must be one of {list(DEEP_MODES)}, got '
            f'{cfg["deep_mode"]!r}')
    return cfg


class PrefixPrompts(BaseModule):
    """Shallow and (optionally) deep prompt tokens of a ViT-style encoder.

    Parameters are stored as in the official VPT prompt files:
    ``shallow_prompt`` of shape ``(1, p, prompt_dim)`` and, for deep prompts,
    ``deep_prompt`` of shape ``(num_layers - 1, p, prompt_dim)``. Layer 0
    receives the shallow prompts, layer ``i >= 1`` the deep set ``i - 1``.
    Each insertion applies ``dropout(proj(prompt))`` with an independent
    dropout mask per sample.

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
    """

    def __init__(self,
                 num_tokens: int,
                 embed_dims: int,
                 num_layers: int,
                 patch_size: Tuple[int, int],
                 deep: bool = False,
                 dropout: float = 0.,
                 project: int = -1) -> None:
        super().__init__()
        if num_tokens <= 0:
            raise ValueError(f'num_tokens must be > 0, got {num_tokens}')
        self.num_tokens = num_tokens
        self.num_layers = num_layers
        self.deep = deep
        prompt_dim = project if project > 0 else embed_dims
        self.init_bound = math.sqrt(
            6. / (3 * patch_size[0] * patch_size[1] + prompt_dim))
        self.proj = (
            nn.Linear(prompt_dim, embed_dims)
            if project > 0 else nn.Identity())
        self.dropout = nn.Dropout(dropout)
        self.shallow_prompt = nn.Parameter(
            torch.zeros(1, num_tokens, prompt_dim))
        if deep and num_layers > 1:
            self.deep_prompt = nn.Parameter(
                torch.zeros(num_layers - 1, num_tokens, prompt_dim))
        else:
            self.register_parameter('deep_prompt', None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The official initialisation: uniform prompts within the Xavier
        bound, Kaiming-normal (fan-out) projection weights."""
        nn.init.uniform_(self.shallow_prompt, -self.init_bound,
                         self.init_bound)
        if self.deep_prompt is not None:
            nn.init.uniform_(self.deep_prompt, -self.init_bound,
                             self.init_bound)
        if isinstance(self.proj, nn.Linear):
            nn.init.kaiming_normal_(self.proj.weight, a=0, mode='fan_out')
            nn.init.zeros_(self.proj.bias)

    def init_weights(self) -> None:
        self.reset_parameters()

    def has_prompts_for(self, layer_index: int) -> bool:
        """Whether encoder layer ``layer_index`` receives new prompts."""
        return layer_index == 0 or (self.deep_prompt is not None
                                    and layer_index < self.num_layers)

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """Prompt tokens for encoder layer ``layer_index``.

        Returns:
            torch.Tensor: Shape ``(batch_size, p, embed_dims)``.
        """
        if not self.has_prompts_for(layer_index):
            raise IndexError(f'no prompts for layer {layer_index}')
        if layer_index == 0:
            prompt = self.shallow_prompt
        else:
            prompt = self.deep_prompt[layer_index - 1:layer_index]
        prompt = self.proj(prompt).expand(batch_size, -1, -1)
        return self.dropout(prompt)
