"""Planning a task: a config checked against the sweep's contract
(:func:`task_from_config`), and its runs (:func:`tune_runs`,
:func:`final_runs`)."""
import argparse
import os.path as osp
from typing import Iterable, List, Mapping, Optional, Sequence

from mmengine.config import Config, DictAction

from vpt_mm.resolve import resolve_config
from vpt_mm.tasks import FGVC_SETS, VTAB_TASKS
from .errors import SweepError
from .spec import Run, TaskSpec, format_number, run_name

PHASES = ('tune', 'final')
# the options the sweep sets itself; --cfg-options must not set them
LR_KEY = 'optim_wrapper.optimizer.lr'
WD_KEY = 'optim_wrapper.optimizer.weight_decay'
SEED_KEY = 'randomness.seed'
TRAIN_SPLIT_KEY = 'train_dataloader.dataset.split'
VAL_SPLIT_KEY = 'val_dataloader.dataset.split'
SWEPT_KEYS = (LR_KEY, WD_KEY, SEED_KEY, TRAIN_SPLIT_KEY, VAL_SPLIT_KEY)
# set as well when the grid has a prompt length axis
PROMPT_KEY = 'model.backbone.prompt_cfg.num_tokens'
# the axes sweep_grid may have: base lr, weight decay, prompt length
GRID_KEYS = ('base_lr', 'weight_decay', 'num_tokens')
VAL_INTERVAL_KEY = 'train_cfg.val_interval'
LOG_BY_EPOCH_KEY = 'default_hooks.logger.log_metric_by_epoch'
BENCHMARK_TASKS = {'vtab1k': VTAB_TASKS, 'fgvc': FGVC_SETS}


def parse_cfg_options(options: Sequence[str]) -> dict:
    """``['a.b=1', 'c=[1,2]']`` parsed as ``--cfg-options`` parses them."""
    if not options:
        return {}
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def _float_list(values: Iterable, what: str, where: str) -> List[float]:
    try:
        values = [float(value) for value in values]
    except (TypeError, ValueError):
        raise SweepError(f'{where}: {what} must be a list of numbers, got '
                         f'{values!r}') from None
    if not values:
        raise SweepError(f'{where}: {what} is empty')
    if len({format_number(value) for value in values}) != len(values):
        raise SweepError(f'{where}: {what} has repeated values: {values}')
    return values


def _length_list(values: Iterable, where: str) -> List[int]:
    """Prompt lengths: distinct non-negative integers."""
    what = 'sweep_grid.num_tokens (the prompt length grid)'
    try:
        lengths = [int(value) for value in values]
        exact = all(float(value) == length
                    for value, length in zip(values, lengths))
    except (TypeError, ValueError):
        lengths, exact = [], False
    if not exact or any(length < 0 for length in lengths):
        raise SweepError(f'{where}: {what} must be a list of non-negative '
                         f'integers, got {values!r}')
    if not lengths:
        raise SweepError(f'{where}: {what} is empty')
    if len(set(lengths)) != len(lengths):
        raise SweepError(f'{where}: {what} has repeated values: {lengths}')
    return lengths


def task_from_config(cfg: Config,
                     config: str,
                     work_dir: str,
                     cfg_options: Sequence[str] = (),
                     lrs: Optional[Sequence[float]] = None,
                     wds: Optional[Sequence[float]] = None,
                     seeds: Sequence[int] = (0, 1, 2, 3, 4),
                     tune_seeds: Sequence[int] = (0, ),
                     val_interval: bool = True,
                     num_tokens: Optional[Sequence[int]] = None) -> TaskSpec:
    """Check a loaded config against the sweep's contract and plan it.

    Args:
        cfg (Config): The task config, ``cfg_options`` already merged.
        config (str): Its file (passed to the runs as is).
        work_dir (str): The sweep dir; the task's runs go to
            ``<work_dir>/<task_name>``.
        cfg_options (Sequence[str]): ``key=value`` strings for every run.
        lrs (Sequence[float], optional): Base lrs; default
            ``sweep_grid.base_lr`` of the config.
        wds (Sequence[float], optional): Weight decays; default
            ``sweep_grid.weight_decay`` of the config.
        seeds (Sequence[int]): Seeds of the final runs.
        tune_seeds (Sequence[int]): Seeds of each grid point.
        val_interval (bool): Validate only at the end of each run.
        num_tokens (Sequence[int], optional): Prompt lengths to search;
            default ``sweep_grid.num_tokens`` of the config if it has one,
            else the prompt length is not searched.

    Returns:
        TaskSpec: The task.

    Raises:
        SweepError: A missing or malformed ``protocol``, ``task_name``,
            ``benchmark`` or grid, a ``sweep_grid`` key the sweep does not
            know, a prompt length grid for a config without
            ``model.backbone.prompt_cfg``, or ``cfg_options`` setting a key
            the sweep sets.
    """
    where = config
    grid = cfg.get('sweep_grid') or {}
    if not isinstance(grid, Mapping):
        raise SweepError(f'{where}: sweep_grid must be a dict of '
                         f'{list(GRID_KEYS)}, got {grid!r}')
    unknown = sorted(set(grid) - set(GRID_KEYS))
    if unknown:
        raise SweepError(
            f'{where}: sweep_grid has the unknown key(s) {unknown}; the '
            f'sweep searches {list(GRID_KEYS)} only')
    if num_tokens is None and grid.get('num_tokens') is not None:
        num_tokens = grid['num_tokens']
    swept = list(SWEPT_KEYS) + ([PROMPT_KEY] if num_tokens is not None
                                else [])
    options = parse_cfg_options(cfg_options)
    clash = [key for key in swept if key in options]
    if clash:
        raise SweepError(f'--cfg-options sets {clash}, which the sweep sets '
                         'for each run; use --lrs/--wds/--num-tokens/--seeds '
                         'instead')

    protocol = cfg.get('protocol')
    shape = ("protocol = dict(tune=dict(train='train800', val='val200'), "
             "final=dict(train='train800val200', test='test'))")
    try:
        protocol = dict(
            tune=dict(train=str(protocol['tune']['train']),
                      val=str(protocol['tune']['val'])),
            final=dict(train=str(protocol['final']['train']),
                       test=str(protocol['final']['test'])))
    except (TypeError, KeyError):
        raise SweepError(f'{where}: needs {shape} (its dataset base '
                         f'declares it); got {protocol!r}') from None

    task = cfg.get('task_name')
    benchmark = cfg.get('benchmark')
    if not isinstance(task, str) or not task or '/' in task:
        raise SweepError(f'{where}: needs task_name, e.g. '
                         f"task_name = 'cifar100'; got {task!r}")
    if not isinstance(benchmark, str) or not benchmark:
        raise SweepError(f"{where}: needs benchmark = 'vtab1k' or 'fgvc'; "
                         f'got {benchmark!r}')
    known = BENCHMARK_TASKS.get(benchmark)
    if known is not None and task not in known:
        # a task of one's own: it declares its class count
        if not isinstance(cfg.get('num_classes'), int):
            raise SweepError(
                f'{where}: task_name {task!r} is not a {benchmark} task '
                f'(choose from {list(known)}); a task of your own also '
                'sets num_classes = <its class count>')
        benchmark = 'custom'

    if lrs is None:
        if 'base_lr' not in grid:
            raise SweepError(f'{where}: no sweep_grid.base_lr (its schedule '
                             'base declares it); or pass --lrs')
        lrs = grid['base_lr']
    if wds is None:
        if 'weight_decay' not in grid:
            raise SweepError(f'{where}: no sweep_grid.weight_decay (its '
                             'schedule base declares it); or pass --wds')
        wds = grid['weight_decay']
    lrs = _float_list(lrs, 'the base lr grid', where)
    wds = _float_list(wds, 'the weight decay grid', where)
    if num_tokens is not None:
        num_tokens = _length_list(num_tokens, where)
        backbone = (cfg.get('model') or {}).get('backbone') or {}
        if not isinstance(backbone.get('prompt_cfg'), Mapping):
            raise SweepError(
                f'{where}: sweep_grid.num_tokens searches {PROMPT_KEY}, but '
                'the config has no model.backbone.prompt_cfg')
    seeds, tune_seeds = [int(s) for s in seeds], [int(s) for s in tune_seeds]
    for what, values in (('seeds', seeds), ('tune seeds', tune_seeds)):
        if not values or len(set(values)) != len(values):
            raise SweepError(f'{what}: need distinct seeds, got {values}')

    loop, max_progress, final_step, loop_options = None, None, None, []
    train_cfg = cfg.get('train_cfg') or {}
    logger = (cfg.get('default_hooks') or {}).get('logger') or {}
    by_epoch = logger.get('log_metric_by_epoch', True)
    if 'max_epochs' in train_cfg:
        loop, max_progress = 'epoch', int(train_cfg['max_epochs'])
        # logged at its epoch, or (by iteration) at an unknown step
        final_step = max_progress if by_epoch else None
    elif 'max_iters' in train_cfg:
        loop, max_progress = 'iter', int(train_cfg['max_iters'])
        if logger and not by_epoch:
            final_step = max_progress
        elif logger and LOG_BY_EPOCH_KEY not in options:
            # by epoch, an iteration-based loop logs every score at epoch 0
            final_step = max_progress
            loop_options.append(f'{LOG_BY_EPOCH_KEY}=False')
    if val_interval and max_progress and VAL_INTERVAL_KEY not in options:
        loop_options.insert(0, f'{VAL_INTERVAL_KEY}={max_progress}')
    return TaskSpec(
        config=config,
        task=task,
        benchmark=benchmark,
        protocol=protocol,
        lrs=lrs,
        wds=wds,
        tune_seeds=tune_seeds,
        seeds=seeds,
        work_dir=osp.join(work_dir, task),
        cfg_options=list(cfg_options),
        loop=loop,
        max_progress=max_progress,
        loop_options=loop_options,
        final_step=final_step,
        num_tokens=num_tokens)


def load_task(config: str, work_dir: str, cfg_options: Sequence[str] = (),
              **kwargs) -> TaskSpec:
    """Read ``config`` (with ``cfg_options``) and plan it; see
    :func:`task_from_config` for the arguments."""
    if not osp.isfile(config):
        raise SweepError(f'config: no file at {config}')
    # mmseg::/mmpretrain:: bases where pkg_resources is gone (no torch)
    from vpt_mm.compat.config_lookup import (cache_external_config_lookup,
                                             use_importlib_package_lookup)
    use_importlib_package_lookup()
    cache_external_config_lookup()
    cfg = Config.fromfile(config)
    resolve_config(cfg)
    options = parse_cfg_options(cfg_options)
    if options:
        cfg.merge_from_dict(options)
        resolve_config(cfg, options)
    return task_from_config(cfg, config, work_dir, cfg_options, **kwargs)


def make_run(spec: TaskSpec,
             phase: str,
             base_lr: float,
             weight_decay: float,
             seed: int,
             num_tokens: Optional[int] = None) -> Run:
    """The run of ``spec`` for one phase, setting and seed
    (``num_tokens``: exactly when the grid has a prompt length axis)."""
    if (num_tokens is None) != (spec.num_tokens is None):
        raise ValueError('num_tokens must be given exactly when the grid '
                         f'searches the prompt length, got {num_tokens!r}')
    if phase == 'tune':
        train_split = spec.protocol['tune']['train']
        eval_split = spec.protocol['tune']['val']
    elif phase == 'final':
        train_split = spec.protocol['final']['train']
        eval_split = spec.protocol['final']['test']
    else:
        raise ValueError(f'phase must be one of {PHASES}, got {phase!r}')
    options = list(spec.cfg_options) + [
        f'{LR_KEY}={float(base_lr)!r}',
        f'{WD_KEY}={float(weight_decay)!r}',
    ]
    if num_tokens is not None:
        num_tokens = int(num_tokens)
        options.append(f'{PROMPT_KEY}={num_tokens}')
    options += [
        f'{SEED_KEY}={int(seed)}',
        f'{TRAIN_SPLIT_KEY}={train_split}',
        f'{VAL_SPLIT_KEY}={eval_split}',
    ]
    options += spec.loop_options
    name = run_name(base_lr, weight_decay, seed, num_tokens)
    return Run(phase, float(base_lr), float(weight_decay), int(seed),
               train_split, eval_split,
               osp.join(spec.work_dir, phase, name), options, num_tokens)


def tune_runs(spec: TaskSpec) -> List[Run]:
    """The grid's runs: base lr (outer) x weight decay [x prompt length]
    x tune seed."""
    return [
        make_run(spec, 'tune', *setting[:2], seed, *setting[2:])
        for setting in spec.settings for seed in spec.tune_seeds
    ]


def final_runs(spec: TaskSpec,
               base_lr: float,
               weight_decay: float,
               num_tokens: Optional[int] = None) -> List[Run]:
    """The final runs of the chosen setting, one per seed."""
    return [
        make_run(spec, 'final', base_lr, weight_decay, seed, num_tokens)
        for seed in spec.seeds
    ]
