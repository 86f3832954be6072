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

A run is one ``tools/train.py`` run (in a resident worker,
:mod:`~.workers`, or a process of its own; ``tools/dist_train.sh`` with
GPUs), whose settings are ``--cfg-options`` and whose work dir is
``<sweep dir>/<task>/<phase>/lr<lr>_wd<wd>_seed<seed>`` (with a prompt
length axis ``lr<lr>_wd<wd>_p<p>_seed<seed>``). Its score is the
last ``accuracy/top1`` in its own mmengine logs
(``<run dir>/<timestamp>/vis_data/scalars.json``). A run is finished when
``sweep_result.json`` exists in its dir, written only after the process
succeeded and its score was read; so finished runs are skipped and killed
ones run again (resuming from their latest checkpoint).

Faults: the sweep holds its task dir's lock and ``tools/train.py`` its
run dir's (:mod:`vpt_mm.runlock`), so a second sweep or a run left behind
is refused with the holder's pid; SIGTERM stops the sweep and its runs
(exit status 143), and on Linux a run dies with its sweep even after a
``kill -9``; a ``sweep_result.json`` whose score is not a finite number in
[0, 100] is re-scored from the run's logs, not trusted.

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

One concept per module: :mod:`~.spec` (a task and its runs), :mod:`~.plan`
(a config checked and planned), :mod:`~.state` (the files of a sweep dir),
:mod:`~.scores` (a run's score), :mod:`~.trust` (which scores are
trusted), :mod:`~.select` (the selection),
:mod:`~.results` (a task's ``results.json``), :mod:`~.plot` (the heat map),
:mod:`~.launcher` (the processes), :mod:`~.workers` (resident
``tools/train.py`` processes), :mod:`~.processes` (children end with the
sweep), :mod:`~.runner` (the protocol) and
:mod:`~.report` (the summary tables). None of them imports torch or a host
(matplotlib and torch are imported inside the functions that need them).
"""
from .errors import SweepError
from .launcher import Launcher, cuda_devices, train_command
from .plan import (PROMPT_KEY, final_runs, load_task, make_run,
                   parse_cfg_options, task_from_config, tune_runs)
from .plot import plot_grid, plot_grids, png_size
from .report import summary_csv_rows, summary_markdown, write_summary
from .results import check_task_dir, task_results
from .runner import SweepStats, TaskSweep, run_sweep
from .scores import METRIC, last_score, read_scalars
from .select import grid_means, mean_std, select_best
from .spec import Run, TaskSpec, describe_setting, run_name
from .state import is_checkpoint_file, read_result, run_state

__all__ = [
    'METRIC', 'PROMPT_KEY', 'Launcher', 'Run', 'SweepError', 'SweepStats',
    'TaskSpec', 'TaskSweep', 'check_task_dir', 'cuda_devices',
    'describe_setting', 'final_runs', 'grid_means', 'is_checkpoint_file',
    'last_score', 'load_task', 'make_run', 'mean_std', 'parse_cfg_options',
    'plot_grid', 'plot_grids', 'png_size', 'read_result', 'read_scalars',
    'run_name', 'run_state', 'run_sweep', 'select_best', 'summary_csv_rows',
    'summary_markdown', 'task_from_config', 'task_results', 'train_command',
    'tune_runs', 'write_summary'
]
