"""Running the protocol: each task's grid, selection and final runs."""
import os
import os.path as osp
import shlex
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import SimpleQueue
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

from vpt_mm.runlock import RunDirLock, RunDirLocked, check_unlocked
from .errors import SweepError
from .launcher import Launcher
from .plan import final_runs, tune_runs
from .plot import plot_grid, plot_grids
from .results import check_task_dir, task_results
from .scores import METRIC, last_score, run_timestamps
from .select import grid_means, select_best
from .spec import Run, TaskSpec, describe_setting
from .state import (GRID_PLOT, LOG_FILE, RESULT_FILE, START_FILE,
                    TASK_RESULTS, is_checkpoint_file, read_result, run_state,
                    write_json)
from .trust import check_score, rescore


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
        # what the log lines call the score
        self.label = 'top-1' if metric == METRIC else metric
        self.log = log
        self.total = (len(spec.settings) * len(spec.tune_seeds) +
                      len(spec.seeds))
        self.index = 0
        self.lock = threading.Lock()  # index and stats, with jobs > 1
        self.stopping = threading.Event()  # a run failed: start no more

    def _train(self, run: Run, command: List[str],
               env: Mapping[str, str]) -> Optional[dict]:
        """Run ``command``; the score of its last validation, ``None`` if
        it logged none; ``SweepError`` if it failed or its run dir is
        held by another process (a run left by an earlier sweep)."""
        try:
            check_unlocked(run.work_dir)
        except RunDirLocked as error:
            raise SweepError(str(error)) from None
        os.makedirs(run.work_dir, exist_ok=True)
        write_json(osp.join(run.work_dir, START_FILE),
                    dict(command=command, cfg_options=run.cfg_options,
                         started=time.strftime('%Y-%m-%d %H:%M:%S')))
        stamps = run_timestamps(run.work_dir)
        status = self.execute(command, run, env)
        if status != 0:
            raise SweepError(f'exit status {status}')
        new = [stamp for stamp in run_timestamps(run.work_dir)
               if stamp not in stamps]
        score = last_score(run.work_dir, self.metric, new)
        if score is None:
            return None
        check_score(score, self.metric, self.spec)
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
            self.log(f'{head}: skipped, finished: {run.eval_split} '
                     f'{self.label} {result["top1"]:.2f}{note}')
            return result
        if state == 'partial' and not self.dry_run:
            result, note = rescore(run, self.spec, self.metric)
            if note:
                self.log(f'{head}: {note}')
            if result is not None:
                with self.lock:
                    self.stats.skipped += 1
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
        write_json(osp.join(run.work_dir, RESULT_FILE), result)
        self._clean(run)
        with self.lock:
            self.stats.trained += 1
        self.log(f'{head}: done in {seconds:.0f} s, {run.eval_split} '
                 f'{self.label} {score["value"]:.2f}')
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
        write_json(osp.join(spec.work_dir, TASK_RESULTS), results)
        if not final and any(result for _, result in tune):
            self._plot(results['tune']['val_top1'], best)
        return results

    def _plot(self, values: list, best: Optional[tuple]) -> None:
        """The heat map: the lr x wd grid, or one panel per prompt
        length (the selected point outlined in its panel)."""
        spec = self.spec
        title = (f'{spec.task}: {spec.protocol["tune"]["val"]} '
                 f'{self.label} (%), trained on '
                 f'{spec.protocol["tune"]["train"]}')
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
        if self.dry_run:
            return self._sweep()
        try:
            lock = RunDirLock(self.spec.work_dir, 'sweep').acquire()
        except RunDirLocked as error:
            raise SweepError(str(error)) from None
        except OSError as error:
            raise SweepError(
                f'cannot write the task dir {self.spec.work_dir}: '
                f'{error.strerror}; give a writable --work-dir') from None
        with lock:
            self._sweep()

    def _sweep(self) -> None:
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
        self.log(f'{spec.task}: best {describe_setting(best)} (val '
                 f'{self.label} {results["best"]["val_top1"]:.2f})')
        final = self.do_runs(final_runs(spec, *best))
        results = self._save(tune, best, final)
        if results['status'] == 'complete':
            summary = results['final']
            self.stats.complete.append(spec.task)
            self.log(f'{spec.task}: {split["final"]["test"]} '
                     f'{self.label} {summary["test_top1_mean"]:.2f} +- '
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
