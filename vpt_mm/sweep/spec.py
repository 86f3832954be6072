"""What a sweep plans: a task (:class:`TaskSpec`) and its runs
(:class:`Run`), and how runs and grid points are named."""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence


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


def format_number(value: float) -> str:
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
    return (f'lr{format_number(base_lr)}_wd{format_number(weight_decay)}'
            f'{prompt}_seed{seed}')


def describe_setting(setting: Sequence) -> str:
    """``base lr 0.25, weight decay 0.001[, prompt length 10]``."""
    text = (f'base lr {format_number(setting[0])}, '
            f'weight decay {format_number(setting[1])}')
    if len(setting) > 2:
        text += f', prompt length {int(setting[2])}'
    return text
