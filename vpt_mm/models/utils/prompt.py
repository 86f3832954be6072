"""Learnable prompt tokens, the one part of a prompted backbone that trains.

A prompt is a prefix token: the backbone keeps one counter of extra tokens
(:attr:`PrefixPrompts.num_tokens`), inserts them in one place and drops them
in one place. This module owns the parameters, their initialisation, the
optional projection and the prompt dropout.
"""
import math
import re
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModule
from torch import nn

PROMPT_CFG_KEYS = ('num_tokens', 'deep', 'dropout', 'project', 'deep_mode',
                   'location', 'layers', 'carry_prompts', 'sharing', 'init',
                   'init_file', 'trainable', 'train_cls_token')
DEEP_MODES = ('prefix', 'token')
# where prompts enter (Fig. 5): latent tokens prepended after CLS, latent
# vectors added element-wise, pixel patches prepended before the (frozen)
# patch embedding, extra input channels
LOCATIONS = ('prepend', 'add', 'prepend-pixel', 'concat-channel')
PIXEL_LOCATIONS = ('prepend-pixel', 'concat-channel')
# Fig. 12: one vector per layer repeated p times, one set for all layers,
# one vector for everything
SHARINGS = ('none', 'intra', 'inter', 'all')
INITS = ('random', 'cls-prototype')
LAYER_RANGE = re.compile(r'\s*(\d+)\s*->\s*(\d+)\s*')


def parse_prompt_cfg(prompt_cfg: Optional[dict],
                     supported_keys: Sequence[str] = PROMPT_CFG_KEYS,
                     owner: str = 'PromptedViT') -> dict:
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
            Shallow prompts are always tokens). The paper's ablations
            (Sec. 4.3, App. B; see ``docs/ablations.md``):
            ``location`` (one of :data:`LOCATIONS`, default ``'prepend'``),
            ``layers`` (with ``deep=True``: the prompted layers, the paper's
            1-based ``'i->j'`` (both ends included, either order) or a list
            of 0-based indices; default all), ``carry_prompts`` (bool,
            default True: a layer without prompts of its own passes the
            previous prompt outputs on, as VPT-shallow does; False drops
            them), ``sharing`` (one of :data:`SHARINGS`, default
            ``'none'``), ``init`` (``'random'`` or ``'cls-prototype'`` with
            ``init_file``, a ``.npy`` of shape (p, d) written by
            ``tools/analysis/cls_prototypes.py``), ``trainable`` (bool,
            default True; False freezes the prompts: the ``-fixed``
            variants) and ``train_cls_token`` (bool, default False:
            [CLS]-Learned).
        supported_keys (Sequence[str]): The keys ``owner`` acts on; any
            other key is an error, so that no setting is silently ignored
            (e.g. the ablation keys on a Swin). Defaults to all.
        owner (str): The backbone named in that error.

    Returns:
        dict: The complete configuration.

    Raises:
        ValueError: Naming the offending key and value.
    """
    cfg = dict(
        num_tokens=0, deep=False, dropout=0., project=-1,
        deep_mode='prefix', location='prepend', layers=None,
        carry_prompts=True, sharing='none', init='random', init_file=None,
        trainable=True, train_cls_token=False)
    prompt_cfg = dict(prompt_cfg or {})
    unknown = sorted(set(prompt_cfg) - set(PROMPT_CFG_KEYS))
    if unknown:
        raise ValueError(f'prompt_cfg: unknown key(s) {unknown}; allowed '
                         f'keys are {list(PROMPT_CFG_KEYS)}')
    unsupported = sorted(set(prompt_cfg) - set(supported_keys))
    if unsupported:
        raise ValueError(f'prompt_cfg: key(s) {unsupported} are not '
                         f'supported by {owner}; its keys are '
                         f'{list(supported_keys)}')
    cfg.update(prompt_cfg)
    num_tokens, dropout, project = (cfg['num_tokens'], cfg['dropout'],
                                    cfg['project'])
    if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) \
            or num_tokens < 0:
        raise ValueError('prompt_cfg.num_tokens must be an int >= 0, got '
                         f'{num_tokens!r}')
    for key in ('deep', 'carry_prompts', 'trainable', 'train_cls_token'):
        if not isinstance(cfg[key], bool):
            raise ValueError(
                f'prompt_cfg.{key} must be True or False, got {cfg[key]!r}')
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0 <= dropout < 1:
        raise ValueError('prompt_cfg.dropout must be a float in [0, 1), got '
                         f'{dropout!r}')
    if isinstance(project, bool) or not isinstance(project, int) or \
            not (project == -1 or project > 0):
        raise ValueError('prompt_cfg.project must be -1 (no projection) or '
                         f'a positive int, got {project!r}')
    for key, choices in (('deep_mode', DEEP_MODES), ('location', LOCATIONS),
                         ('sharing', SHARINGS), ('init', INITS)):
        if not isinstance(cfg[key], str) or cfg[key] not in choices:
            raise ValueError(f'prompt_cfg.{key} must be one of '
                             f'{list(choices)}, got {cfg[key]!r}')
    _check_combinations(cfg)
    return cfg


def _check_combinations(cfg: dict) -> None:
    """Refuse settings that make no sense together, naming the keys."""
    location, sharing = cfg['location'], cfg['sharing']

    def refuse(key: str, why: str) -> None:
        raise ValueError(f'prompt_cfg.{key}={cfg[key]!r} {why}')

    if cfg['num_tokens'] == 0:
        for key, default in (('location', 'prepend'), ('layers', None),
                             ('sharing', 'none'), ('init', 'random'),
                             ('trainable', True)):
            if cfg[key] != default:
                refuse(key, 'needs num_tokens > 0')
    if cfg['layers'] is not None and not cfg['deep']:
        refuse('layers', 'needs deep=True (without it only layer 1 has '
               'prompts)')
    if location in PIXEL_LOCATIONS:
        if cfg['deep']:
            refuse('location', 'cannot be combined with deep=True (pixel '
                   'prompts enter before the first layer only)')
        for key, default in (('project', -1), ('dropout', 0.),
                             ('sharing', 'none'), ('init', 'random')):
            if cfg[key] != default:
                refuse('location', f'cannot be combined with {key}='
                       f'{cfg[key]!r}')
    if sharing in ('inter', 'all') and not cfg['deep']:
        refuse('sharing', 'shares prompts across layers: needs deep=True')
    if cfg['init'] == 'cls-prototype':
        if not isinstance(cfg['init_file'], str) or not cfg['init_file']:
            refuse('init', 'needs init_file, the prototypes written by '
                   'tools/analysis/cls_prototypes.py')
        if cfg['project'] != -1:
            refuse('init', 'sets prompts in the embedding space: needs '
                   'project=-1')
        if sharing in ('intra', 'all'):
            refuse('init', f'needs p distinct prompts, not sharing='
                   f'{sharing!r}')
    elif cfg['init_file'] is not None:
        refuse('init_file', "is read only with init='cls-prototype'")


def resolve_prompt_layers(cfg: dict, num_layers: int) -> Tuple[int, ...]:
    """The sorted 0-based indices of the layers that receive prompts.

    Args:
        cfg (dict): A parsed ``prompt_cfg``.
        num_layers (int): Number of encoder layers.

    Returns:
        tuple[int]: Empty without prompts; ``(0, )`` for shallow prompts;
        ``prompt_cfg.layers`` resolved for deep ones (default all).
    """
    if cfg['num_tokens'] == 0:
        return ()
    if not cfg['deep']:
        return (0, )
    layers = cfg['layers']
    if layers is None:
        return tuple(range(num_layers))
    if isinstance(layers, str):
        match = LAYER_RANGE.fullmatch(layers)
        ends = sorted(int(end) for end in match.groups()) if match else []
        if not ends or ends[0] < 1 or ends[1] > num_layers:
            raise ValueError(
                f'prompt_cfg.layers={layers!r} must be "i->j" with 1 <= i, '
                f'j <= {num_layers} (the 1-st layer is the one closest to '
                'the input)')
        return tuple(range(ends[0] - 1, ends[1]))
    if not isinstance(layers, (list, tuple)) or not layers or any(
            isinstance(i, bool) or not isinstance(i, int) for i in layers):
        raise ValueError(
            f'prompt_cfg.layers={layers!r} must be "i->j" or a non-empty '
            'list of 0-based layer indices')
    if len(set(layers)) != len(layers) or not all(
            0 <= i < num_layers for i in layers):
        raise ValueError(
            f'prompt_cfg.layers={layers!r}: indices must be distinct and in '
            f'[0, {num_layers - 1}] (0-based; use "i->j" for the paper\'s '
            '1-based names)')
    return tuple(sorted(layers))


def load_prototypes(filename: str, num_tokens: int,
                    embed_dims: int) -> torch.Tensor:
    """Read CLS prototypes ``(p, d)`` for ``init='cls-prototype'``.

    Raises:
        ValueError: Naming the file and ``prompt_cfg.num_tokens`` when the
            shapes do not fit.
    """
    try:
        array = np.load(filename, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f'prompt_cfg.init_file={filename!r}: cannot read '
                         f'the prototypes ({error})') from error
    if array.ndim != 2 or array.shape[1] != embed_dims:
        raise ValueError(
            f'prompt_cfg.init_file={filename!r}: prototypes must have shape'
            f' (p, {embed_dims}), found {tuple(array.shape)}')
    if array.shape[0] != num_tokens:
        raise ValueError(
            f'prompt_cfg.num_tokens={num_tokens} must equal the '
            f'{array.shape[0]} prototypes in {filename}')
    return torch.from_numpy(array).float()


class PrefixPrompts(BaseModule):
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
        super().__init__()
        if num_tokens <= 0:
            raise ValueError(f'num_tokens must be > 0, got {num_tokens}')
        if layers is None:
            layers = range(num_layers) if deep else (0, )
        self.layers = tuple(layers)
        if not self.layers:
            raise ValueError('layers must not be empty')
        self.num_tokens = num_tokens
        self.num_layers = num_layers
        self.deep = deep
        self.sharing = sharing
        prompt_dim = project if project > 0 else embed_dims
        self.init_bound = math.sqrt(
            6. / (3 * patch_size[0] * patch_size[1] + prompt_dim))
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

    def init_weights(self) -> None:
        self.reset_parameters()

    def has_prompts_for(self, layer_index: int) -> bool:
        """Whether encoder layer ``layer_index`` receives new prompts."""
        return layer_index in self.layers

    def forward(self, layer_index: int, batch_size: int) -> torch.Tensor:
        """Prompt tokens for encoder layer ``layer_index``.

        Returns:
            torch.Tensor: Shape ``(batch_size, p, embed_dims)``.
        """
        if not self.has_prompts_for(layer_index):
            raise IndexError(f'no prompts for layer {layer_index}')
        slot = self.layers.index(layer_index)
        if slot == 0 or self.deep_prompt is None:
            prompt = self.shallow_prompt
        else:
            prompt = self.deep_prompt[slot - 1:slot]
        prompt = self.proj(prompt).expand(batch_size, self.num_tokens, -1)
        return self.dropout(prompt)
