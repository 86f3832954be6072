"""The paper's tuning protocol as a sweep of ``tools/train.py`` runs.

For one task config (Sec. 4.1 and Tab. 6 of the paper, as the official
scripts do it):

1. *tune*: every base lr x weight decay of the grid (x prompt length, for
   configs that search it: A.1 of the paper) is trained on the protocol's
   tuning train split (VTAB ``train800``, FGVC ``train``) and scored on
   its val split (``val200`` / ``val``);
2. the setting with the best mean val top-1 is selected (ties: the smaller
   base lr, then the larger weight decay, then the shorter prompt; see
   :func:`select_best`);
3. *final*: that setting is re-run with several seeds on the final train
   split (``train800val200`` / ``trainval``) and scored on ``test``; the
   last epoch's test top-1 is reported as mean and std over the seeds.

A run is one ``tools/train.py`` process (or ``tools/dist_train.sh``), whose
settings are ``--cfg-options`` and whose work dir is
``<sweep dir>/<task>/<phase>/lr<lr>_wd<wd>_seed<seed>`` (with a prompt
length axis ``lr<lr>_wd<wd>_p<p>_seed<seed>``). Its score is the
last ``accuracy/top1`` in its own mmengine logs
(``<run dir>/<timestamp>/vis_data/scalars.json``). A run is finished when
``sweep_result.json`` exists in its dir, written only after the process
succeeded and its score was read; so finished runs are skipped and killed
ones run again (resuming from their latest checkpoint).

The config declares the protocol (dataset base), the task and the grid
(schedule base)::

    protocol = dict(tune=dict(train='train800', val='val200'),
                    final=dict(train='train800val200', test='test'))
    task_name = 'cifar100'
    benchmark = 'vtab1k'   # or 'fgvc'
    sweep_grid = dict(base_lr=[50., 25., ...], weight_decay=[0.01, ...])

and, to search the prompt length as well (method base), the values of
``model.backbone.prompt_cfg.num_tokens``::

    sweep_grid = dict(num_tokens=[1, 5, 10, 50])
"""
import argparse
import csv
import json
import math
import os
import os.path as osp
import re
import shlex
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import SimpleQueue
from typing import (Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple)

from mmengine.config import Config, DictAction

from vpt_mm.datasets.fgvc import FGVC_SETS
from vpt_mm.datasets.vtab import VTAB_TASKS

METRIC = 'accuracy/top1'
RESULT_FILE = 'sweep_result.json'  # in a run dir: the run finished
START_FILE = 'sweep_run.json'  # in a run dir: how the run was started
LOG_FILE = 'sweep.log'  # in a run dir: the training process's output
# the deltas DeltaCheckpointHook writes next to checkpoints (the suffix of
# vpt_mm.models.peft.delta, not imported here: it loads the models)
DELTA_FILE_SUFFIX = '.delta.safetensors'
TASK_RESULTS = 'results.json'  # in a task dir
GRID_PLOT = 'grid.png'  # in a task dir
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
TIE_TOLERANCE = 1e-6  # val top-1 (%) closer than this is a tie
_TIMESTAMP = re.compile(r'\d{8}_\d{6}')
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

# Column names of the paper's Tabs. 13 and 14.
VTAB_TITLES = {
    'cifar100': 'CIFAR-100',
    'caltech101': 'Caltech101',
    'dtd': 'DTD',
    'oxford_flowers102': 'Flowers102',
    'oxford_pet': 'Pets',
    'svhn': 'SVHN',
    'sun397': 'Sun397',
    'patch_camelyon': 'Patch Camelyon',
    'eurosat': 'EuroSAT',
    'resisc45': 'Resisc45',
    'diabetic_retinopathy': 'Retinopathy',
    'clevr_count': 'Clevr/count',
    'clevr_dist': 'Clevr/distance',
    'dmlab': 'DMLab',
    'kitti': 'KITTI/distance',
    'dsprites_loc': 'dSprites/location',
    'dsprites_ori': 'dSprites/orientation',
    'smallnorb_azi': 'SmallNORB/azimuth',
    'smallnorb_ele': 'SmallNORB/elevation',
}
FGVC_TITLES = {
    'cub': 'CUB-200-2011',
    'nabirds': 'NABirds',
    'flowers': 'Oxford Flowers',
    'dogs': 'Stanford Dogs',
    'cars': 'Stanford Cars',
}
BENCHMARK_TASKS = {'vtab1k': VTAB_TASKS, 'fgvc': FGVC_SETS}


class SweepError(RuntimeError):
    """A problem with a config, a task dir or a run, worded for the user."""


# -- the plan -----------------------------------------------------------------
@dataclass
class TaskSpec:
    """One task config, read and checked, with the sweep's settings.

    Attributes:
        config (str): The config file, as given.
        task (str): ``task_name`` of the config.
        benchmark (str): ``benchmark`` of the config.
        protocol (dict): ``protocol`` of the config.
        lrs (list[float]): Base learning rates of the grid.
        wds (list[float]): Weight decays of the grid.
        tune_seeds (list[int]): Seeds of every grid point's tuning runs.
        seeds (list[int]): Seeds of the final runs.
        work_dir (str): The task's dir, ``<sweep dir>/<task>``.
        cfg_options (list[str]): ``key=value`` strings passed to every run
            before the sweep's own.
        loop (str, optional): ``'epoch'`` or ``'iter'``.
        max_progress (int, optional): ``max_epochs`` or ``max_iters``.
        loop_options (list[str]): Options every run gets after
            ``cfg_options``: ``train_cfg.val_interval=<max_progress>`` (the
            only validation is the last one) and, for iteration-based
            loops, ``default_hooks.logger.log_metric_by_epoch=False`` (so
            that a validation's logged step is its iteration).
        final_step (int, optional): The ``step`` the last validation is
            logged with (``max_epochs`` or ``max_iters``); a score logged
            at another step is not the last epoch's. ``None``: unchecked.
        num_tokens (list[int], optional): Prompt lengths of the grid (its
            third axis, ``model.backbone.prompt_cfg.num_tokens``);
            ``None``: the config's own prompt length, not searched.
    """

    config: str
    task: str
    benchmark: str
    protocol: dict
    lrs: List[float]
    wds: List[float]
    tune_seeds: List[int]
    seeds: List[int]
    work_dir: str
    cfg_options: List[str] = field(default_factory=list)
    loop: Optional[str] = None
    max_progress: Optional[int] = None
    loop_options: List[str] = field(default_factory=list)
    final_step: Optional[int] = None
    num_tokens: Optional[List[int]] = None

    @property
    def settings(self) -> List[tuple]:
        """The grid points in run order (base lr outer): ``(base_lr,
        weight_decay)``, or ``(base_lr, weight_decay, num_tokens)`` with a
        prompt length axis."""
        if self.num_tokens is None:
            return [(lr, wd) for lr in self.lrs for wd in self.wds]
        return [(lr, wd, p) for lr in self.lrs for wd in self.wds
                for p in self.num_tokens]


@dataclass
class Run:
    """One training run of the sweep.

    Attributes:
        phase (str): ``'tune'`` or ``'final'``.
        base_lr (float): Base learning rate (before ``auto_scale_lr``).
        weight_decay (float): Weight decay.
        seed (int): ``randomness.seed``.
        train_split (str): Split trained on.
        eval_split (str): Split of the validation, whose last top-1 is the
            run's score (val when tuning, test in the final phase).
        work_dir (str): The run's ``--work-dir``.
        cfg_options (list[str]): All ``--cfg-options`` of the run.
        num_tokens (int, optional): Prompt length, when the grid searches
            it.
    """

    phase: str
    base_lr: float
    weight_decay: float
    seed: int
    train_split: str
    eval_split: str
    work_dir: str
    cfg_options: List[str]
    num_tokens: Optional[int] = None

    @property
    def name(self) -> str:
        return run_name(self.base_lr, self.weight_decay, self.seed,
                        self.num_tokens)

    @property
    def setting(self) -> tuple:
        """The run's grid point (see :attr:`TaskSpec.settings`)."""
        if self.num_tokens is None:
            return (self.base_lr, self.weight_decay)
        return (self.base_lr, self.weight_decay, self.num_tokens)

    @property
    def label(self) -> str:
        return f'{self.phase} {self.name}'


def _num(value: float) -> str:
    """A float for names and messages: ``50``, ``0.25``, ``1e-05``."""
    return f'{float(value):.10g}'


def run_name(base_lr: float,
             weight_decay: float,
             seed: int,
             num_tokens: Optional[int] = None) -> str:
    """``lr<base lr>_wd<weight decay>_seed<seed>``, e.g.
    ``lr0.25_wd0.001_seed0``; with a prompt length
    ``lr0.25_wd0.001_p10_seed0``."""
    prompt = '' if num_tokens is None else f'_p{int(num_tokens)}'
    return f'lr{_num(base_lr)}_wd{_num(weight_decay)}{prompt}_seed{seed}'


def describe_setting(setting: Sequence) -> str:
    """``base lr 0.25, weight decay 0.001[, prompt length 10]``."""
    text = f'base lr {_num(setting[0])}, weight decay {_num(setting[1])}'
    if len(setting) > 2:
        text += f', prompt length {int(setting[2])}'
    return text


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
    if len({_num(value) for value in values}) != len(values):
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
        raise SweepError(f'{where}: task_name {task!r} is not a '
                         f'{benchmark} task; choose from {list(known)}')

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
    cfg = Config.fromfile(config)
    options = parse_cfg_options(cfg_options)
    if options:
        cfg.merge_from_dict(options)
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


def train_command(spec: TaskSpec,
                  run: Run,
                  tools_dir: str,
                  gpus: Optional[int] = None,
                  resume: bool = False,
                  python: Optional[str] = None) -> List[str]:
    """The command line of one run.

    Args:
        spec (TaskSpec): The run's task.
        run (Run): The run.
        tools_dir (str): Folder of ``train.py`` and ``dist_train.sh``.
        gpus (int, optional): Hand the run to
            ``bash dist_train.sh CONFIG GPUS`` (torchrun); default one
            ``python train.py`` process.
        resume (bool): Pass ``--resume`` (continue from the latest
            checkpoint in the run's work dir).
        python (str, optional): Interpreter for ``train.py``; default the
            current one.

    Returns:
        list[str]: The command.
    """
    if gpus:
        command = ['bash', osp.join(tools_dir, 'dist_train.sh'), spec.config,
                   str(int(gpus))]
    else:
        command = [python or sys.executable,
                   osp.join(tools_dir, 'train.py'), spec.config]
    command += ['--work-dir', run.work_dir]
    if resume:
        command.append('--resume')
    return command + ['--cfg-options', *run.cfg_options]


# -- run state and scores -----------------------------------------------------
def is_checkpoint_file(name: str) -> bool:
    """Whether a file of a run's work dir is one of its checkpoints, which
    ``keep_checkpoints`` deletes: mmengine's (``*.pth``,
    ``last_checkpoint``) and the deltas that ``DeltaCheckpointHook``
    writes next to them (``*.delta.safetensors``, ``last_delta``)."""
    return name.endswith(('.pth', DELTA_FILE_SUFFIX)) or name in (
        'last_checkpoint', 'last_delta')


def _read_json(path: str) -> Optional[dict]:
    try:
        with open(path) as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: str, data: dict) -> None:
    """Write atomically: a killed sweep never leaves half a file."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as file:
        json.dump(data, file, indent=2)
        file.write('\n')
    os.replace(tmp, path)


def read_result(run: Run) -> Optional[dict]:
    """The run's ``sweep_result.json`` if it finished, else ``None``."""
    result = _read_json(osp.join(run.work_dir, RESULT_FILE))
    if result is None or not isinstance(result.get('top1'), (int, float)):
        return None
    return result


def run_state(run: Run) -> str:
    """``'done'`` (finished: has its result file), ``'partial'`` (its dir
    exists but it did not finish: killed or failed; it runs again) or
    ``'pending'`` (never started)."""
    if read_result(run) is not None:
        return 'done'
    if osp.isdir(run.work_dir):
        return 'partial'
    return 'pending'


def can_resume(run: Run) -> bool:
    """Whether an unfinished run can continue from its checkpoint: it has
    one and was started with the same options."""
    started = _read_json(osp.join(run.work_dir, START_FILE))
    return (osp.isfile(osp.join(run.work_dir, 'last_checkpoint'))
            and started is not None
            and started.get('cfg_options') == run.cfg_options)


def read_scalars(path: str, metric: str = METRIC) -> List[Tuple[float, int]]:
    """``(value, step)`` of every record of ``metric`` in an mmengine
    scalar log (one JSON object per line), in order. Lines that do not
    parse (the last one of a killed run) are skipped."""
    records = []
    with open(path) as file:
        for line in file:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(
                    record.get(metric), (int, float)):
                records.append(
                    (float(record[metric]), int(record.get('step', -1))))
    return records


def _timestamps(work_dir: str) -> List[str]:
    """The ``<timestamp>`` folders mmengine made in a work dir, oldest
    first (one per start of the run)."""
    if not osp.isdir(work_dir):
        return []
    return sorted(name for name in os.listdir(work_dir)
                  if _TIMESTAMP.fullmatch(name)
                  and osp.isdir(osp.join(work_dir, name)))


def last_score(work_dir: str,
               metric: str = METRIC,
               stamps: Optional[Sequence[str]] = None) -> Optional[dict]:
    """The last ``metric`` a run logged: from its newest
    ``<timestamp>/vis_data/scalars.json`` (or the ``<timestamp>.json``
    beside it) that has one.

    Args:
        work_dir (str): The run's work dir.
        metric (str): The metric's key.
        stamps (Sequence[str], optional): Look only in these
            ``<timestamp>`` folders (e.g. the ones the latest attempt
            made); default all.

    Returns:
        dict | None: ``value``, ``step`` (the epoch, or the iteration
        under ``log_metric_by_epoch=False``; iteration-based loops log
        epoch 0 otherwise) and ``file``; ``None`` if no log has it.
    """
    if stamps is None:
        stamps = _timestamps(work_dir)
    for stamp in sorted(stamps, reverse=True):
        folder = osp.join(work_dir, stamp)
        for path in (osp.join(folder, 'vis_data', 'scalars.json'),
                     osp.join(folder, 'vis_data', f'{stamp}.json'),
                     osp.join(folder, f'{stamp}.json')):
            if osp.isfile(path):
                records = read_scalars(path, metric)
                if records:
                    value, step = records[-1]
                    return dict(value=value, step=step, file=path)
    return None


# -- selection and statistics -------------------------------------------------
def grid_means(spec: TaskSpec,
               scores: Mapping[str, float]) -> Dict[tuple, Optional[float]]:
    """Mean val top-1 over the tune seeds of each grid point; ``None``
    where a seed's run has no score.

    Args:
        spec (TaskSpec): The task.
        scores (Mapping[str, float]): Val top-1 by run name.

    Returns:
        dict: ``setting -> mean`` for each of :attr:`TaskSpec.settings`
        (``(base_lr, weight_decay)`` or ``(base_lr, weight_decay,
        num_tokens)``).
    """
    means = {}
    for setting in spec.settings:
        values = [scores.get(run_name(*setting[:2], seed, *setting[2:]))
                  for seed in spec.tune_seeds]
        means[setting] = None if None in values else sum(values) / len(
            values)
    return means


def select_best(means: Mapping[tuple, Optional[float]],
                tolerance: float = TIE_TOLERANCE) -> tuple:
    """The grid point with the best mean val top-1.

    Ties (within ``tolerance``; frequent on a 200-image val set, where one
    image is 0.5%) go to the smaller base lr, further from the divergence
    that the grid's large lrs reach, then to the larger weight decay, the
    stronger regulariser, then (with a prompt length axis) to the shorter
    prompt, the cheaper model.

    Args:
        means (Mapping): ``(base_lr, weight_decay) -> mean val top-1`` or
            ``(base_lr, weight_decay, num_tokens) -> ...``; ``None`` (not
            scored) and NaN are ignored.
        tolerance (float): Scores this close are a tie.

    Returns:
        tuple: The selected key, ``(base_lr, weight_decay[, num_tokens])``.
    """
    scored = {key: value for key, value in means.items()
              if value is not None and not math.isnan(value)}
    if not scored:
        raise SweepError('no grid point has a score to select from')
    top = max(scored.values())
    ties = [key for key, value in scored.items() if value >= top - tolerance]
    return min(ties, key=lambda key: (key[0], -key[1], *key[2:]))


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``n - 1``; 0 for one value)."""
    values = [float(value) for value in values]
    if not values:
        raise ValueError('mean_std of no values')
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, 0.0
    var = sum((value - mean)**2 for value in values) / (len(values) - 1)
    return mean, math.sqrt(var)


# -- results of a task --------------------------------------------------------
def _run_record(spec: TaskSpec, run: Run, result: Optional[dict]) -> dict:
    record = dict(
        name=run.name,
        base_lr=run.base_lr,
        weight_decay=run.weight_decay,
        seed=run.seed,
        train_split=run.train_split,
        eval_split=run.eval_split,
        top1=None if result is None else result['top1'],
        work_dir=osp.relpath(run.work_dir, spec.work_dir))
    if run.num_tokens is not None:
        record['num_tokens'] = run.num_tokens
    return record


def _grid_values(spec: TaskSpec, means: Mapping[tuple, Optional[float]]
                 ) -> list:
    """``means`` nested as ``[i][j]`` (``base_lr[i]``,
    ``weight_decay[j]``), or ``[i][j][k]`` with ``num_tokens[k]``."""
    if spec.num_tokens is None:
        return [[means[(lr, wd)] for wd in spec.wds] for lr in spec.lrs]
    return [[[means[(lr, wd, p)] for p in spec.num_tokens]
             for wd in spec.wds] for lr in spec.lrs]


def task_results(spec: TaskSpec,
                 tune: Sequence[Tuple[Run, Optional[dict]]],
                 best: Optional[Tuple[float, float]] = None,
                 final: Sequence[Tuple[Run, Optional[dict]]] = (),
                 metric: str = METRIC) -> dict:
    """The content of ``<task dir>/results.json``.

    Args:
        spec (TaskSpec): The task.
        tune: ``(run, result or None)`` of the grid's runs.
        best: The selected ``(base_lr, weight_decay[, num_tokens])``, once
            selected.
        final: ``(run, result or None)`` of the final runs.
        metric (str): The metric read from the logs.
    """
    scores = {run.name: result['top1'] for run, result in tune if result}
    means = grid_means(spec, scores)
    final_scores = [result['top1'] for _, result in final if result]
    complete = best is not None and len(final) == len(spec.seeds) and len(
        final_scores) == len(spec.seeds)
    tune_record = dict(
        train_split=spec.protocol['tune']['train'],
        val_split=spec.protocol['tune']['val'],
        seeds=spec.tune_seeds,
        base_lr=spec.lrs,
        weight_decay=spec.wds)
    if spec.num_tokens is not None:
        tune_record['num_tokens'] = spec.num_tokens
    tune_record.update(
        # val_top1[i][j]: base_lr[i], weight_decay[j] (and [k]:
        # num_tokens[k] with a prompt length axis); mean over seeds
        val_top1=_grid_values(spec, means),
        runs=[_run_record(spec, run, result) for run, result in tune])
    best_record = None
    if best is not None:
        best_record = dict(base_lr=best[0], weight_decay=best[1])
        tie_rule = ('best mean val top-1; ties: smaller base lr, then '
                    'larger weight decay')
        if len(best) > 2:
            best_record['num_tokens'] = best[2]
            tie_rule += ', then shorter prompt'
        best_record.update(val_top1=means[tuple(best)], tie_rule=tie_rule)
    results = dict(
        task=spec.task,
        benchmark=spec.benchmark,
        config=spec.config,
        metric=metric,
        protocol=spec.protocol,
        cfg_options=spec.cfg_options,
        status='complete' if complete else
        ('final' if best is not None else 'tune'),
        tune=tune_record,
        best=best_record,
        final=dict(
            train_split=spec.protocol['final']['train'],
            test_split=spec.protocol['final']['test'],
            seeds=spec.seeds,
            runs=[_run_record(spec, run, result) for run, result in final],
            test_top1_mean=None,
            test_top1_std=None))
    if complete:
        mean, std = mean_std(final_scores)
        results['final'].update(test_top1_mean=mean, test_top1_std=std)
    return results


def check_task_dir(spec: TaskSpec) -> None:
    """Refuse a task dir that holds another config's sweep (two configs
    with the same ``task_name`` in one sweep dir)."""
    results = _read_json(osp.join(spec.work_dir, TASK_RESULTS))
    if results is None:
        return
    theirs = osp.basename(str(results.get('config', '')))
    if theirs and theirs != osp.basename(spec.config):
        raise SweepError(
            f'{spec.work_dir} holds the sweep of {theirs}, not of '
            f'{osp.basename(spec.config)}; give this config another '
            '--work-dir (one sweep dir per method)')


# -- the heat map -------------------------------------------------------------
def plot_grid(lrs: Sequence[float],
              wds: Sequence[float],
              values: Sequence[Sequence[Optional[float]]],
              path: str,
              best: Optional[Tuple[float, float]] = None,
              title: str = '') -> str:
    """Write the lr x wd grid's val top-1 as a heat map (cf. the paper's
    Fig. 17), with matplotlib's Agg canvas (no display needed, the global
    backend untouched).

    Args:
        lrs (Sequence[float]): Base lrs, one row each.
        wds (Sequence[float]): Weight decays, one column each.
        values: ``values[i][j]`` for ``lrs[i]``, ``wds[j]``; ``None`` for a
            missing point (grey, ``-``).
        path (str): Output ``.png``.
        best (tuple, optional): ``(base_lr, weight_decay)`` to outline.
        title (str): Figure title.

    Returns:
        str: ``path``.
    """
    return plot_grids(lrs, wds, [('', values, best)], path, title)


def plot_grids(lrs: Sequence[float],
               wds: Sequence[float],
               panels: Sequence[Tuple[str, Sequence[Sequence[Optional[float]]],
                                      Optional[Tuple[float, float]]]],
               path: str,
               title: str = '') -> str:
    """Write several lr x wd heat maps side by side (at most three per
    row) on one colour scale, e.g. one per prompt length.

    Args:
        lrs (Sequence[float]): Base lrs, one row of each panel each.
        wds (Sequence[float]): Weight decays, one column each.
        panels: ``(panel title, values, best)`` each, with ``values`` and
            ``best`` as in :func:`plot_grid`.
        path (str): Output ``.png``.
        title (str): Figure title.

    Returns:
        str: ``path``.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    grids = [
        np.array([[np.nan if value is None else float(value)
                   for value in row] for row in values], dtype=float)
        for _, values, _ in panels
    ]
    finite = np.concatenate([grid[np.isfinite(grid)] for grid in grids])
    low, high = (finite.min(), finite.max()) if finite.size else (0., 1.)
    middle = (low + high) / 2
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    figure = Figure(
        figsize=(1.0 + columns * (1.2 + 1.0 * len(wds)),
                 0.4 + rows * (1.2 + 0.45 * len(lrs))),
        layout='constrained')
    FigureCanvasAgg(figure)
    try:
        from matplotlib import colormaps
        cmap = colormaps['viridis']
    except ImportError:  # matplotlib < 3.5
        from matplotlib import cm
        cmap = cm.get_cmap('viridis')
    cmap = cmap.with_extremes(bad='0.85')
    all_axes = []
    for index, ((name, _, best), grid) in enumerate(zip(panels, grids)):
        axes = figure.add_subplot(rows, columns, index + 1)
        all_axes.append(axes)
        image = axes.imshow(np.ma.masked_invalid(grid), cmap=cmap,
                            vmin=low, vmax=high, aspect='auto')
        for i in range(len(lrs)):
            for j in range(len(wds)):
                value = grid[i, j]
                text = '-' if np.isnan(value) else f'{value:.1f}'
                colour = 'black' if np.isnan(value) or value > middle \
                    else 'white'
                axes.text(j, i, text, ha='center', va='center',
                          color=colour, fontsize=8)
        if best is not None and best[0] in lrs and best[1] in wds:
            i, j = list(lrs).index(best[0]), list(wds).index(best[1])
            axes.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                     edgecolor='red', linewidth=2))
        axes.set_xticks(range(len(wds)))
        axes.set_xticklabels([_num(wd) for wd in wds])
        axes.set_yticks(range(len(lrs)))
        axes.set_yticklabels([_num(lr) for lr in lrs])
        axes.set_xlabel('weight decay')
        axes.set_ylabel('base lr')
        if name:
            axes.set_title(name, fontsize=9)
    if title:
        figure.suptitle(title, fontsize=9)
    if finite.size:
        figure.colorbar(image, ax=all_axes, label='val top-1 (%)')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def png_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of a PNG file; ``ValueError`` if it is none."""
    with open(path, 'rb') as file:
        head = file.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b'IHDR':
        raise ValueError(f'{path} is not a PNG file')
    return struct.unpack('>II', head[16:24])


# -- running a sweep ----------------------------------------------------------
def cuda_devices() -> List[str]:
    """The CUDA devices runs may use: ``CUDA_VISIBLE_DEVICES`` when set,
    else every device torch sees (none on a CPU machine)."""
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    if visible is not None:
        return [device for device in visible.split(',') if device.strip()]
    import torch  # only here: the sweep itself needs no torch
    return [str(index) for index in range(torch.cuda.device_count())]


@dataclass
class Launcher:
    """Starts runs as processes and records their output.

    With ``jobs > 1`` up to that many runs of a phase train at once, each
    in a *slot* with its own environment (see :meth:`slot_env`): its share
    of the CPU threads, its own GPU(s) and, for ``dist_train.sh``, its own
    rendezvous port.

    Attributes:
        tools_dir (str): Folder of ``train.py`` and ``dist_train.sh``.
        gpus (int, optional): GPUs per run through ``dist_train.sh``.
        resume (bool): Continue a killed run from its latest checkpoint.
        verbose (bool): Echo the runs' output (always written to
            ``<run dir>/sweep.log``).
        jobs (int): Runs at a time.
        devices (list[str], optional): The CUDA devices the slots share
            (see :func:`cuda_devices`); none: runs see the machine's own.
    """

    tools_dir: str
    gpus: Optional[int] = None
    resume: bool = True
    verbose: bool = False
    jobs: int = 1
    devices: Optional[List[str]] = None

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise SweepError(f'jobs must be at least 1, not {self.jobs}')
        if self.gpus and self.devices and (self.jobs * self.gpus >
                                           len(self.devices)):
            raise SweepError(
                f'{self.jobs} jobs x {self.gpus} GPU(s) need '
                f'{self.jobs * self.gpus} GPUs; {len(self.devices)} '
                f'visible ({",".join(self.devices)})')
        self._processes = set()
        self._lock = threading.Lock()

    def command(self, spec: TaskSpec, run: Run) -> List[str]:
        return train_command(spec, run, self.tools_dir, self.gpus,
                             self.resume and can_resume(run))

    def slot_env(self, slot: int) -> Dict[str, str]:
        """What the environment of a run in ``slot`` (0 .. jobs - 1)
        changes: nothing for one job at a time; else ``OMP_NUM_THREADS``
        (the CPU cores divided among the jobs, unless already set),
        ``CUDA_VISIBLE_DEVICES`` (``gpus`` devices of its own, or one
        device, shared round robin, for single-process runs) and, with
        ``gpus``, ``PORT`` (``PORT`` or 29500, plus the slot)."""
        if self.jobs == 1:
            return {}
        env = {}
        if 'OMP_NUM_THREADS' not in os.environ:
            threads = max(1, (os.cpu_count() or 1) // self.jobs)
            env['OMP_NUM_THREADS'] = str(threads)
        if self.devices:
            if self.gpus:
                chosen = self.devices[slot * self.gpus:(slot + 1) *
                                      self.gpus]
            else:
                chosen = [self.devices[slot % len(self.devices)]]
            env['CUDA_VISIBLE_DEVICES'] = ','.join(chosen)
        if self.gpus:
            env['PORT'] = str(int(os.environ.get('PORT', 29500)) + slot)
        return env

    def __call__(self, command: List[str], run: Run,
                 env: Optional[Mapping[str, str]] = None) -> int:
        """Run ``command`` (with ``env`` added to the environment) and
        return its exit status."""
        full_env = dict(os.environ)
        # the interpreter dist_train.sh starts torchrun with
        full_env.setdefault('PYTHON', sys.executable)
        full_env.update(env or {})
        with open(osp.join(run.work_dir, LOG_FILE), 'a') as log:
            settings = ''.join(f'{key}={value} '
                               for key, value in sorted((env or {}).items()))
            log.write(f'$ {settings}{shlex.join(command)}\n')
            log.flush()
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, env=full_env)
            with self._lock:
                self._processes.add(process)
            try:
                for line in process.stdout:
                    log.write(line)
                    if self.verbose:
                        sys.stdout.write(line)
                        sys.stdout.flush()
                return process.wait()
            except BaseException:
                process.terminate()
                process.wait()
                raise
            finally:
                with self._lock:
                    self._processes.discard(process)

    def terminate_all(self) -> None:
        """Stop every run still going (an interrupted parallel sweep)."""
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            process.terminate()


def _tail(path: str, lines: int = 25) -> str:
    try:
        with open(path, errors='replace') as file:
            return ''.join(file.readlines()[-lines:])
    except OSError:
        return ''


@dataclass
class SweepStats:
    """What a sweep did, for its last line and exit status."""

    trained: int = 0
    skipped: int = 0
    failed: List[str] = field(default_factory=list)
    complete: List[str] = field(default_factory=list)


class _Stop(Exception):
    """A run failed and the sweep does not keep going."""


class TaskSweep:
    """Runs the protocol of one task; see :func:`run_sweep`."""

    def __init__(self, spec: TaskSpec, launcher: Launcher,
                 execute: Callable[..., int], stats: SweepStats,
                 dry_run: bool, keep_going: bool, keep_checkpoints: str,
                 metric: str, log: Callable[[str], None]) -> None:
        self.spec = spec
        self.launcher = launcher
        self.execute = execute
        self.stats = stats
        self.dry_run = dry_run
        self.keep_going = keep_going
        self.keep_checkpoints = keep_checkpoints
        self.metric = metric
        self.log = log
        self.total = (len(spec.settings) * len(spec.tune_seeds) +
                      len(spec.seeds))
        self.index = 0
        self.lock = threading.Lock()  # index and stats, with jobs > 1
        self.stopping = threading.Event()  # a run failed: start no more

    def _train(self, run: Run, command: List[str],
               env: Mapping[str, str]) -> Optional[dict]:
        """Run ``command``; the score of its last validation, ``None`` if
        it logged none; ``SweepError`` if it failed."""
        os.makedirs(run.work_dir, exist_ok=True)
        _write_json(osp.join(run.work_dir, START_FILE),
                    dict(command=command, cfg_options=run.cfg_options,
                         started=time.strftime('%Y-%m-%d %H:%M:%S')))
        stamps = _timestamps(run.work_dir)
        status = self.execute(command, run, env)
        if status != 0:
            raise SweepError(f'exit status {status}')
        new = [stamp for stamp in _timestamps(run.work_dir)
               if stamp not in stamps]
        score = last_score(run.work_dir, self.metric, new)
        if score is None:
            return None
        expected = self.spec.final_step
        if expected is not None and score['step'] != expected:
            raise SweepError(
                f'the last {self.metric} is from '
                f'{self.spec.loop} {score["step"]}, not the last '
                f'{self.spec.loop} {expected} ({score["file"]})')
        return score

    def _clean(self, run: Run) -> None:
        if self.keep_checkpoints == 'all' or (
                self.keep_checkpoints == 'final' and run.phase == 'final'):
            return
        for name in os.listdir(run.work_dir):
            if is_checkpoint_file(name):
                os.remove(osp.join(run.work_dir, name))

    def do_run(self, run: Run, slot: int = 0) -> Optional[dict]:
        """Skip, show or train one run (in ``slot`` of the launcher's
        jobs); its result, or ``None``."""
        with self.lock:
            self.index += 1
            head = (f'[{self.index}/{self.total}] {self.spec.task} '
                    f'{run.label}')
        state = run_state(run)
        if state == 'done':
            result = read_result(run)
            with self.lock:
                self.stats.skipped += 1
            note = ''
            if result.get('cfg_options') != run.cfg_options:
                note = (' (warning: it ran with other --cfg-options; delete '
                        f'{run.work_dir} to run it again)')
            self.log(f'{head}: skipped, finished: {run.eval_split} top-1 '
                     f'{result["top1"]:.2f}{note}')
            return result
        command = self.launcher.command(self.spec, run)
        resumes = '--resume' in command
        if self.dry_run:
            what = {'pending': 'to run',
                    'partial': 'unfinished, to run again' + (
                        ', resuming' if resumes else '')}[state]
            self.log(f'{head}: {what} (train {run.train_split}, score '
                     f'{run.eval_split})\n    {shlex.join(command)}')
            return None
        self.log(f'{head}: training on {run.train_split}, scoring on '
                 f'{run.eval_split}' + (' (resuming)' if resumes else ''))
        env = self.launcher.slot_env(slot)
        start = time.time()
        try:
            score = self._train(run, command, env)
            if score is None and resumes:
                # killed between its last checkpoint and its last
                # validation: resuming trains nothing and validates nothing
                self.log(f'{head}: no final score after resuming; training '
                         'it again from the start')
                command = [arg for arg in command if arg != '--resume']
                score = self._train(run, command, env)
            if score is None:
                raise SweepError(
                    f'finished but no {self.metric} in its logs under '
                    f'{run.work_dir}/<timestamp>/vis_data/scalars.json '
                    '(does the config validate, with this metric?)')
        except SweepError as error:
            seconds = time.time() - start
            with self.lock:
                self.stats.failed.append(f'{self.spec.task} {run.label}')
            tail = _tail(osp.join(run.work_dir, LOG_FILE))
            self.log(f'{head}: FAILED after {seconds:.0f} s: {error}\n'
                     f'  log: {osp.join(run.work_dir, LOG_FILE)}\n' +
                     ''.join(f'  | {line}\n'
                             for line in tail.splitlines()))
            if not self.keep_going:
                raise _Stop() from None
            return None
        seconds = time.time() - start
        result = dict(
            task=self.spec.task, phase=run.phase, name=run.name,
            base_lr=run.base_lr, weight_decay=run.weight_decay,
            **({} if run.num_tokens is None else dict(
                num_tokens=run.num_tokens)),
            seed=run.seed, train_split=run.train_split,
            eval_split=run.eval_split, metric=self.metric,
            top1=score['value'], step=score['step'],
            log=osp.relpath(score['file'], run.work_dir),
            command=command, cfg_options=run.cfg_options,
            seconds=round(seconds, 1),
            finished=time.strftime('%Y-%m-%d %H:%M:%S'))
        _write_json(osp.join(run.work_dir, RESULT_FILE), result)
        self._clean(run)
        with self.lock:
            self.stats.trained += 1
        self.log(f'{head}: done in {seconds:.0f} s, {run.eval_split} top-1 '
                 f'{score["value"]:.2f}')
        return result

    def do_runs(self, runs: List[Run]) -> List[Tuple[Run, Optional[dict]]]:
        """:meth:`do_run` for each run, up to ``launcher.jobs`` at a time;
        ``(run, result)`` in the order of ``runs``. After a failure
        (without ``keep_going``) the runs going on finish, no other
        starts, and the sweep stops."""
        jobs = min(self.launcher.jobs, len(runs))
        if jobs <= 1 or self.dry_run:
            return [(run, self.do_run(run)) for run in runs]
        slots = SimpleQueue()
        for slot in range(jobs):
            slots.put(slot)

        def work(run: Run) -> Optional[dict]:
            slot = slots.get()
            try:
                if self.stopping.is_set():
                    return None
                return self.do_run(run, slot)
            except _Stop:
                self.stopping.set()
                return None
            finally:
                slots.put(slot)

        pool = ThreadPoolExecutor(jobs, thread_name_prefix='sweep-run')
        try:
            results = list(pool.map(work, runs))
        except BaseException:
            self.stopping.set()
            terminate = getattr(self.execute, 'terminate_all', None)
            if terminate is not None:
                terminate()
            raise
        finally:
            pool.shutdown(wait=True)
        if self.stopping.is_set():
            raise _Stop()
        return list(zip(runs, results))

    def _save(self, tune, best=None, final=()) -> dict:
        """Write ``results.json`` and the heat map (unless a dry run)."""
        spec = self.spec
        results = task_results(spec, tune, best, final, self.metric)
        if self.dry_run:
            return results
        _write_json(osp.join(spec.work_dir, TASK_RESULTS), results)
        if not final and any(result for _, result in tune):
            self._plot(results['tune']['val_top1'], best)
        return results

    def _plot(self, values: list, best: Optional[tuple]) -> None:
        """The heat map: the lr x wd grid, or one panel per prompt
        length (the selected point outlined in its panel)."""
        spec = self.spec
        title = (f'{spec.task}: {spec.protocol["tune"]["val"]} top-1 (%), '
                 f'trained on {spec.protocol["tune"]["train"]}')
        path = osp.join(spec.work_dir, GRID_PLOT)
        if spec.num_tokens is None:
            plot_grid(spec.lrs, spec.wds, values, path, best, title)
            return
        panels = []
        for k, length in enumerate(spec.num_tokens):
            chosen = best is not None and best[2] == length
            panels.append(
                (f'p = {length}' + (' (selected)' if chosen else ''),
                 [[cell[k] for cell in row] for row in values],
                 best[:2] if chosen else None))
        plot_grids(spec.lrs, spec.wds, panels, path, title)

    def __call__(self) -> None:
        spec = self.spec
        check_task_dir(spec)
        split = spec.protocol
        prompt = '' if spec.num_tokens is None else (
            f'{len(spec.num_tokens)} prompt length(s) {spec.num_tokens} x ')
        self.log(f'== {spec.task} ({spec.benchmark}, {spec.config}) -> '
                 f'{spec.work_dir}\n   tune: {len(spec.lrs)} lr x '
                 f'{len(spec.wds)} wd x {prompt}'
                 f'{len(spec.tune_seeds)} seed(s), '
                 f'{split["tune"]["train"]} -> {split["tune"]["val"]}; '
                 f'final: {len(spec.seeds)} seed(s), '
                 f'{split["final"]["train"]} -> {split["final"]["test"]}')
        tune = self.do_runs(tune_runs(spec))
        missing = [run for run, result in tune if result is None]
        if missing:
            if self.dry_run:
                self.log(f'   then: the best of the grid, re-run with seeds '
                         f'{spec.seeds} on {split["final"]["train"]}, '
                         f'scored on {split["final"]["test"]}')
            else:
                self._save(tune)
                self.log(f'{spec.task}: {len(missing)} grid run(s) failed; '
                         'no selection, final runs skipped')
            return
        scores = {run.name: result['top1'] for run, result in tune}
        best = select_best(grid_means(spec, scores))
        results = self._save(tune, best)
        self.log(f'{spec.task}: best {describe_setting(best)} (val top-1 '
                 f'{results["best"]["val_top1"]:.2f})')
        final = self.do_runs(final_runs(spec, *best))
        results = self._save(tune, best, final)
        if results['status'] == 'complete':
            summary = results['final']
            self.stats.complete.append(spec.task)
            self.log(f'{spec.task}: {split["final"]["test"]} top-1 '
                     f'{summary["test_top1_mean"]:.2f} +- '
                     f'{summary["test_top1_std"]:.2f} over '
                     f'{len(spec.seeds)} seed(s) -> '
                     f'{osp.join(spec.work_dir, TASK_RESULTS)}')


def run_sweep(specs: Sequence[TaskSpec],
              launcher: Launcher,
              dry_run: bool = False,
              keep_going: bool = False,
              keep_checkpoints: str = 'final',
              metric: str = METRIC,
              execute: Optional[Callable[..., int]] = None,
              log: Callable[[str], None] = print) -> SweepStats:
    """Run (or with ``dry_run`` show) the protocol of each task.

    Args:
        specs (Sequence[TaskSpec]): The tasks, in order.
        launcher (Launcher): Builds the commands (and runs them unless
            ``execute`` is given).
        dry_run (bool): Print the plan and commands; write nothing.
        keep_going (bool): After a failed run, go on with the others (a
            task whose grid has a failed run is not selected from);
            otherwise stop at the first failure.
        keep_checkpoints (str): ``'all'``, ``'final'`` (delete the
            checkpoints of tuning runs once scored) or ``'none'``; a
            checkpoint's delta goes with it (see :func:`is_checkpoint_file`).
        metric (str): The validation metric to read.
        execute (callable, optional): ``(command, run, env) -> exit
            status``, ``env`` the slot's additions to the environment
            (:meth:`Launcher.slot_env`); default ``launcher``, which also
            sets how many runs go at once (``launcher.jobs``).
        log (callable): Where progress lines go.

    Returns:
        SweepStats: Runs trained, skipped and failed.

    Raises:
        SweepError: Two specs of one task, or a task dir holding another
            config's sweep.
    """
    if keep_checkpoints not in ('all', 'final', 'none'):
        raise ValueError(f'keep_checkpoints: {keep_checkpoints!r}')
    names = [spec.task for spec in specs]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise SweepError(f'task(s) {twice} given by more than one config; '
                         'sweep each method into its own --work-dir')
    stats = SweepStats()
    execute = execute or launcher
    for spec in specs:
        try:
            TaskSweep(spec, launcher, execute, stats, dry_run, keep_going,
                      keep_checkpoints, metric, log)()
        except _Stop:
            break
    return stats


# -- aggregation --------------------------------------------------------------
def load_sweep(work_dir: str) -> Dict[Tuple[str, str], dict]:
    """The finished tasks of a sweep dir: ``(benchmark, task) -> results``
    from ``<work_dir>/*/results.json`` whose final phase is complete."""
    found = {}
    if not osp.isdir(work_dir):
        raise SweepError(f'--aggregate: no folder {work_dir}')
    for name in sorted(os.listdir(work_dir)):
        results = _read_json(osp.join(work_dir, name, TASK_RESULTS))
        final = (results or {}).get('final') or {}
        if not isinstance(final.get('test_top1_mean'), (int, float)):
            continue
        found[(results.get('benchmark'), results.get('task'))] = results
    return found


def _groups(benchmark: str, tasks: Sequence[str]) -> List[Tuple[str, list]]:
    """``(group title, its tasks in table order)`` of a benchmark."""
    if benchmark == 'vtab1k':
        return [(group.capitalize(), [
            task for task, (_, task_group) in VTAB_TASKS.items()
            if task_group == group
        ]) for group in ('natural', 'specialized', 'structured')]
    if benchmark == 'fgvc':
        return [('FGVC', list(FGVC_SETS))]
    return [(benchmark, sorted(tasks))]


def _title(benchmark: str, task: str) -> str:
    return {'vtab1k': VTAB_TITLES, 'fgvc': FGVC_TITLES}.get(
        benchmark, {}).get(task, task)


def _test_top1(results: Mapping) -> Optional[float]:
    return (results.get('final') or {}).get('test_top1_mean')


def _prompt_length(results: Mapping) -> Optional[int]:
    """The prompt length a sweep selected (``None``: not searched)."""
    return (results.get('best') or {}).get('num_tokens')


def prompt_length_rows(methods: Sequence[Tuple[str, Mapping]],
                       benchmark: Optional[str] = None
                       ) -> List[Tuple[str, Mapping]]:
    """``(method p, results)`` of the methods whose sweeps searched the
    prompt length (in ``benchmark``, or in any), for the paper's "Prompt
    length (p)" rows of Tabs. 13 and 14."""
    return [(f'{name} p', found) for name, found in methods
            if any(_prompt_length(results) is not None
                   for (bench, _), results in found.items()
                   if benchmark is None or bench == benchmark)]


def summary_table(methods: Sequence[Tuple[str, Mapping]],
                  benchmark: str,
                  prompt_methods: Sequence[Tuple[str, Mapping]] = ()
                  ) -> Tuple[List[str], List[List]]:
    """One benchmark's table: header and rows of cells.

    Each row is the method name, then per group its tasks' mean test
    top-1 (``None``: missing) and the group's mean over its present tasks
    as ``(mean or None, number present, group size)``. Then one row per
    ``prompt_methods`` (see :func:`prompt_length_rows`) with the selected
    prompt lengths and their group means instead.
    """
    others = sorted({task for _, found in methods
                     for bench, task in found if bench == benchmark})
    header, rows = ['Method'], []
    groups = _groups(benchmark, others)
    for title, tasks in groups:
        header += [_title(benchmark, task) for task in tasks]
        header.append(f'{title} mean')
    for (name, found), value in [(method, _test_top1) for method in methods
                                 ] + [(method, _prompt_length)
                                      for method in prompt_methods]:
        row = [name]
        for _, tasks in groups:
            values = [value(found[(benchmark, task)])
                      if (benchmark, task) in found else None
                      for task in tasks]
            present = [value for value in values if value is not None]
            row += values
            row.append((sum(present) / len(present) if present else None,
                        len(present), len(tasks)))
        rows.append(row)
    return header, rows


def _benchmarks(methods: Sequence[Tuple[str, Mapping]]) -> List[str]:
    present = {bench for _, found in methods for bench, _ in found}
    return [bench for bench in ('vtab1k', 'fgvc') if bench in present] + \
        sorted(present - {'vtab1k', 'fgvc'})


_BENCHMARK_TITLES = {
    'vtab1k': 'VTAB-1k (cf. Tab. 13)',
    'fgvc': 'FGVC (cf. Tab. 14)',
}


def summary_markdown(methods: Sequence[Tuple[str, Mapping]]) -> str:
    """The paper's per-task tables (Tabs. 13 and 14) as markdown."""
    lines = ['# Sweep summary', '']
    benchmarks = _benchmarks(methods)
    if not benchmarks:
        lines.append('No task has finished its final runs yet.')
    partial = False
    seeds = sorted({len(results['final'].get('seeds') or ())
                    for _, found in methods for results in found.values()})
    searched_p = False
    for benchmark in benchmarks:
        prompt_methods = prompt_length_rows(methods, benchmark)
        searched_p = searched_p or bool(prompt_methods)
        header, rows = summary_table(methods, benchmark, prompt_methods)
        lines += [f'## {_BENCHMARK_TITLES.get(benchmark, benchmark)}', '',
                  '| ' + ' | '.join(header) + ' |',
                  '|' + '|'.join([' --- '] + [' ---: '] *
                                 (len(header) - 1)) + '|']
        # each method's prompt length row right below its own row
        p_rows = {label[:-len(' p')]: row for (label, _), row in zip(
            prompt_methods, rows[len(methods):])}
        ordered = []
        for (name, _), row in zip(methods, rows):
            ordered.append((row, False))
            if name in p_rows:
                ordered.append((p_rows[name], True))
        for row, lengths in ordered:
            cells = [row[0]]
            for cell in row[1:]:
                if isinstance(cell, tuple):
                    mean, present, size = cell
                    if mean is None:
                        cells.append('-')
                    else:
                        star = '*' if present < size else ''
                        partial = partial or bool(star)
                        cells.append(f'{mean:.1f}{star}' if lengths else
                                     f'{mean:.2f}{star}')
                elif cell is None:
                    cells.append('-')
                else:
                    cells.append(f'{cell:g}' if lengths else f'{cell:.1f}')
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines.append('')
    seed_text = ' or '.join(str(n) for n in seeds) if seeds else '5'
    lines += [
        'Test top-1 accuracy (%) of the last epoch, mean over the '
        f'{seed_text} seeds of the final runs (train800val200 or train+val, '
        'scored on test) with the base lr and weight decay' +
        (' (and prompt length)' if searched_p else '') +
        ' chosen on the val split. `-`: the task has no finished sweep. ' +
        ('`<method> p` rows: the prompt length p selected for each task, '
         'and its mean over the group (cf. the paper). ' if searched_p
         else '') +
        'Group means average only the tasks present in the row' +
        ('; `*` marks a mean over part of the group.' if partial else '.'),
        ''
    ]
    return '\n'.join(lines)


def summary_csv_rows(methods: Sequence[Tuple[str, Mapping]]) -> List[list]:
    """The tables as one CSV: a header row, then one row per method;
    per-task means, each group's mean and its number of present tasks
    (``<group>_n``); empty cells for missing tasks. Then a ``<method> p``
    row for each method whose sweeps searched the prompt length: the
    selected lengths, their group means and counts."""
    prompt_methods = prompt_length_rows(methods)
    header = ['method']
    rows = [[name] for name, _ in list(methods) + prompt_methods]
    benchmarks = ['vtab1k', 'fgvc'] + [
        bench for bench in _benchmarks(methods)
        if bench not in ('vtab1k', 'fgvc')]
    for benchmark in benchmarks:
        _, table = summary_table(methods, benchmark, prompt_methods)
        others = sorted({task for _, found in methods
                         for bench, task in found if bench == benchmark})
        for title, tasks in _groups(benchmark, others):
            header += list(tasks) + [f'{title.lower()}_mean',
                                     f'{title.lower()}_n']
        for out, row in zip(rows, table):
            for cell in row[1:]:
                if isinstance(cell, tuple):
                    mean, present, _ = cell
                    out += ['' if mean is None else round(mean, 4), present]
                else:
                    out.append('' if cell is None else round(cell, 4))
    return [header] + rows


def write_summary(methods: Sequence[Tuple[str, str]],
                  out_dir: str) -> Tuple[str, str]:
    """Aggregate sweep dirs into ``<out_dir>/summary.md`` and
    ``summary.csv``.

    Args:
        methods (Sequence[tuple[str, str]]): ``(row label, sweep dir)``,
            one table row each.
        out_dir (str): Where the two files go.

    Returns:
        tuple[str, str]: The markdown and CSV paths.
    """
    found = [(name, load_sweep(work_dir)) for name, work_dir in methods]
    os.makedirs(out_dir, exist_ok=True)
    md_path = osp.join(out_dir, 'summary.md')
    csv_path = osp.join(out_dir, 'summary.csv')
    with open(md_path, 'w') as file:
        file.write(summary_markdown(found))
    with open(csv_path, 'w', newline='') as file:
        csv.writer(file).writerows(summary_csv_rows(found))
    return md_path, csv_path
