"""A backbone's ``prompt_cfg``: validation, defaults and the prompted
layers. Every prompted backbone reads its ``prompt_cfg`` here, naming the
keys it acts on, so that no setting is silently ignored."""
import re
from typing import Optional, Sequence, Tuple

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


# the ConvNet border's initialisations (Uniform(0, 1) pixels or N(0, 1))
PIXEL_PROMPT_INITS = ('uniform', 'gaussian')


def parse_pixel_prompt_cfg(prompt_cfg: Optional[dict]) -> dict:
    """Validate the ``prompt_cfg`` of a pixel-prompted backbone.

    The keys are ``num_tokens``, ``deep``, ``dropout`` and ``project`` of
    :func:`parse_prompt_cfg` (the ViT's ablation
    keys are errors) plus ``init`` (``'uniform'``, the default: Uniform(0,
    1) in pixel space, normalised with the ImageNet statistics at every
    forward; or
    ``'gaussian'``: N(0, 1), used as is). Pixel prompts exist at the input
    only: ``deep=True``, a projection (``project``) and prompt ``dropout``
    are errors.

    Args:
        prompt_cfg (dict, optional): The backbone's ``prompt_cfg``.

    Returns:
        dict: ``num_tokens`` (the border width p) and ``init``.

    Raises:
        ValueError: Naming the offending key and value.
    """
    prompt_cfg = dict(prompt_cfg or {})
    init = prompt_cfg.pop('init', 'uniform')
    if not isinstance(init, str) or init not in PIXEL_PROMPT_INITS:
        raise ValueError(f'prompt_cfg.init must be one of '
                         f'{list(PIXEL_PROMPT_INITS)}, got {init!r}')
    cfg = parse_prompt_cfg(
        prompt_cfg, ('num_tokens', 'deep', 'dropout', 'project'),
        owner='a pixel-prompted backbone')
    if cfg['deep']:
        raise ValueError('prompt_cfg.deep must be False for pixel prompts '
                         '(a ConvNet has no tokens to prompt in later '
                         'layers), got True')
    if cfg['project'] != -1:
        raise ValueError('prompt_cfg.project must be -1 for pixel prompts '
                         f'(no projection), got {cfg["project"]!r}')
    if cfg['dropout'] != 0:
        raise ValueError('prompt_cfg.dropout must be 0 for pixel prompts, '
                         f'got {cfg["dropout"]!r}')
    return dict(num_tokens=cfg['num_tokens'], init=init)


