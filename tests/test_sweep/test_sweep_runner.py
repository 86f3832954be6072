"""vpt_mm.sweep.runner: run, skip, resume, select, in parallel too."""
import itertools
import json
import os
import os.path as osp
import signal
import sys
import threading
import time

import pytest
from sweep_helpers import (SCALARS, make_spec, prompt_cfg, vtab_cfg,
                           write_log)

from vpt_mm.sweep.errors import SweepError
from vpt_mm.sweep.launcher import Launcher
from vpt_mm.sweep.plan import final_runs, tune_runs
from vpt_mm.sweep.plot import png_size
from vpt_mm.sweep.runner import run_sweep
from vpt_mm.sweep.state import (LOG_FILE, RESULT_FILE, START_FILE,
                                read_result, run_state, write_json)

# what a training run leaves that keep_checkpoints deletes: mmengine's
# checkpoints and DeltaCheckpointHook's deltas
CHECKPOINT_FILES = ('iter_10.pth', 'last_checkpoint',
                    'iter_10.delta.safetensors', 'last_delta')


class FakeTrain:
    """Stands in for tools/train.py: logs a score like mmengine does."""

    def __init__(self, *specs, fail=(), no_score_on_resume=False,
                 step=None, seconds=0.):
        self.specs = specs
        self.seconds = seconds  # how long a run takes
        self.envs = {}  # run label: the slot's environment
        self.running = 0
        self.most_running = 0
        self.lock = threading.Lock()
        self.fail = set(fail)
        self.no_score_on_resume = no_score_on_resume
        self.step = step
        self.calls = []
        self.clock = itertools.count()

    def score(self, run):
        # best grid point: lr 0.05; final runs: 80 + seed
        if run.phase == 'tune':
            return 60. - 10 * run.base_lr
        return 80. + run.seed

    def __call__(self, command, run, env):
        with self.lock:
            self.calls.append((run.label, command))
            self.envs[run.label] = dict(env)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        # a failing run ends first, so that the sweep stops before the
        # run beside it frees its slot
        time.sleep(self.seconds / 4 if run.label in self.fail else
                   self.seconds)
        with self.lock:
            self.running -= 1
        if run.label in self.fail:
            with open(osp.join(run.work_dir, LOG_FILE), 'a') as file:
                file.write('Traceback: RuntimeError: boom\n')
            return 1
        stamp = f'20240101_{next(self.clock):06d}'
        step = self.step or next(
            spec.final_step for spec in self.specs
            if run.work_dir.startswith(spec.work_dir + os.sep))
        records = SCALARS[:1]
        if not (self.no_score_on_resume and '--resume' in command):
            records = records + [{'accuracy/top1': self.score(run),
                                  'step': step}]
        write_log(run.work_dir, stamp, records)
        for name in CHECKPOINT_FILES + ('notes.txt', ):
            with open(osp.join(run.work_dir, name), 'w') as file:
                file.write('x')
        return 0


def quiet_sweep(specs, fake, launcher=None, **kwargs):
    lines = []
    stats = run_sweep(specs, launcher or Launcher('/tools'), execute=fake,
                      log=lines.append, **kwargs)
    return stats, '\n'.join(lines)


def test_sweep_selects_runs_seeds_and_writes_results(tmp_path):
    spec = make_spec(tmp_path)
    fake = FakeTrain(spec)
    stats, log = quiet_sweep([spec], fake)
    assert (stats.trained, stats.skipped, stats.failed) == (4, 0, [])
    assert [label for label, _ in fake.calls] == [
        'tune lr0.5_wd0.001_seed0', 'tune lr0.05_wd0.001_seed0',
        'final lr0.05_wd0.001_seed0', 'final lr0.05_wd0.001_seed1'
    ]
    with open(osp.join(spec.work_dir, 'results.json')) as file:
        results = json.load(file)
    assert results['status'] == 'complete'
    assert results['tune']['val_top1'] == [[55.], [59.5]]
    assert results['best']['base_lr'] == 0.05
    assert [r['top1'] for r in results['final']['runs']] == [80., 81.]
    assert results['final']['test_top1_mean'] == 80.5
    assert results['final']['test_top1_std'] == pytest.approx(0.5**0.5)
    assert 'test top-1 80.50 +- 0.71 over 2 seed(s)' in log
    # tuning checkpoints and their deltas go once scored; the final runs
    # keep theirs
    tuned = osp.join(spec.work_dir, 'tune', 'lr0.5_wd0.001_seed0')
    final = osp.join(spec.work_dir, 'final', 'lr0.05_wd0.001_seed1')
    for name in CHECKPOINT_FILES:
        assert not osp.exists(osp.join(tuned, name)), name
        assert osp.isfile(osp.join(final, name)), name
    assert osp.isfile(osp.join(tuned, 'notes.txt'))  # not a checkpoint
    assert png_size(osp.join(spec.work_dir, 'grid.png'))[0] > 100
    marker = json.load(open(osp.join(spec.work_dir, 'final',
                                     'lr0.05_wd0.001_seed1',
                                     RESULT_FILE)))
    assert marker['top1'] == 81. and marker['step'] == 10


def test_finished_runs_are_skipped_and_killed_ones_run_again(tmp_path):
    spec = make_spec(tmp_path)
    quiet_sweep([spec], FakeTrain(spec))
    fake = FakeTrain(spec)
    stats, log = quiet_sweep([spec], fake)
    assert fake.calls == [] and (stats.trained, stats.skipped) == (0, 4)
    assert log.count('skipped, finished') == 4

    # killed: the dir and its logs exist, the result file does not
    killed = tune_runs(spec)[1]
    os.remove(osp.join(killed.work_dir, RESULT_FILE))
    assert run_state(killed) == 'partial'
    assert run_state(tune_runs(spec)[0]) == 'done'
    stats, _ = quiet_sweep([spec], fake)
    assert [label for label, _ in fake.calls] == [killed.label]
    assert (stats.trained, stats.skipped) == (1, 3)
    assert run_state(killed) == 'done'


def test_a_resume_that_scores_nothing_trains_again(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    run = tune_runs(spec)[0]
    os.makedirs(run.work_dir)
    open(osp.join(run.work_dir, 'last_checkpoint'), 'w').close()
    write_json(osp.join(run.work_dir, START_FILE),
                      dict(cfg_options=run.cfg_options))
    write_log(run.work_dir, '20231231_000000', SCALARS)  # a stale score
    fake = FakeTrain(spec, no_score_on_resume=True)
    stats, log = quiet_sweep([spec], fake)
    assert ['--resume' in command for _, command in fake.calls[:2]] == [
        True, False
    ]
    assert 'training it again from the start' in log
    assert run_state(run) == 'done' and stats.failed == []
    assert read_result(run)['top1'] == 55.


def test_a_failed_run_stops_the_sweep(tmp_path):
    spec = make_spec(tmp_path)
    other = make_spec(tmp_path, vtab_cfg(), lrs=[1.0], wds=[0.0])
    fake = FakeTrain(spec, other, fail=['tune lr0.5_wd0.001_seed0'])
    stats, log = quiet_sweep([spec, other], fake)
    assert len(fake.calls) == 1
    assert stats.failed == ['cub tune lr0.5_wd0.001_seed0']
    assert 'FAILED after 0 s: exit status 1' in log
    assert '| Traceback: RuntimeError: boom' in log
    assert run_state(tune_runs(spec)[0]) == 'partial'


def test_keep_going_finishes_the_grid_but_does_not_select(tmp_path):
    spec = make_spec(tmp_path)
    other = make_spec(tmp_path, vtab_cfg(), lrs=[1.0], wds=[0.0])
    fake = FakeTrain(spec, other, fail=['tune lr0.5_wd0.001_seed0'])
    stats, log = quiet_sweep([spec, other], fake, keep_going=True)
    assert stats.failed == ['cub tune lr0.5_wd0.001_seed0']
    assert stats.complete == ['cifar100']
    assert 'no selection, final runs skipped' in log
    results = json.load(open(osp.join(spec.work_dir, 'results.json')))
    assert results['status'] == 'tune' and results['best'] is None
    assert results['tune']['val_top1'] == [[None], [59.5]]


def test_a_score_not_from_the_last_epoch_is_an_error(tmp_path):
    spec = make_spec(tmp_path, vtab_cfg(), lrs=[1.0], wds=[0.0])
    stats, log = quiet_sweep([spec], FakeTrain(spec, step=90))
    assert stats.failed and 'from epoch 90, not the last epoch 100' in log


def test_dry_run_writes_nothing(tmp_path):
    spec = make_spec(tmp_path)
    fake = FakeTrain(spec)
    stats, log = quiet_sweep([spec], fake, dry_run=True)
    assert fake.calls == [] and not osp.exists(tmp_path / 'sweep')
    assert log.count('to run (train train, score val)') == 2
    assert '/tools/train.py configs/x/task.py --work-dir' in log
    assert 'then: the best of the grid' in log
    # once tuned, the dry run shows the selection and the final runs
    quiet_sweep([spec], fake)
    os.remove(osp.join(final_runs(spec, 0.05, 0.001)[1].work_dir,
                       RESULT_FILE))
    _, log = quiet_sweep([spec], fake, dry_run=True)
    assert 'best base lr 0.05, weight decay 0.001' in log
    assert 'final lr0.05_wd0.001_seed1: unfinished, to run again' in log


def read_results(spec):
    with open(osp.join(spec.work_dir, 'results.json')) as file:
        return json.load(file)


def test_jobs_run_a_phase_at_once_with_the_sequential_results(
        tmp_path, monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    grid = dict(lrs=[0.5, 0.05, 0.01, 0.005], seeds=[0, 1, 2])
    alone = make_spec(tmp_path / 'alone', **grid)
    quiet_sweep([alone], FakeTrain(alone))
    spec = make_spec(tmp_path / 'jobs', **grid)
    fake = FakeTrain(spec, seconds=0.2)
    stats, log = quiet_sweep([spec], fake, Launcher('/tools', jobs=3))
    assert fake.most_running == 3  # the grid of 4 and the 3 seeds
    assert (stats.trained, stats.failed) == (7, [])
    assert sorted(log.count(f'[{i}/7]') for i in range(1, 8)) == [2] * 7
    assert read_results(spec) == read_results(alone)
    # each run had a slot of its own: a thread share, no GPUs to hand out
    threads = str(max(1, (os.cpu_count() or 1) // 3))
    assert {env['OMP_NUM_THREADS'] for env in fake.envs.values()} == {
        threads
    }
    assert not any('CUDA_VISIBLE_DEVICES' in env
                   for env in fake.envs.values())


def test_jobs_stop_starting_runs_after_a_failure(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5, 0.05, 0.01, 0.005])
    fake = FakeTrain(spec, seconds=0.2, fail=['tune lr0.5_wd0.001_seed0'])
    stats, log = quiet_sweep([spec], fake, Launcher('/tools', jobs=2))
    # the failure and the run beside it; the other two never start
    assert len(fake.calls) == 2 and fake.most_running == 2
    assert stats.failed == ['cub tune lr0.5_wd0.001_seed0']
    assert stats.trained == 1 and 'final lr' not in log
    fake = FakeTrain(spec, seconds=0.05, fail=['tune lr0.5_wd0.001_seed0'])
    stats, log = quiet_sweep([spec], fake, Launcher('/tools', jobs=2),
                             keep_going=True)
    assert len(fake.calls) == 3  # the failed one again, the two not run
    assert 'no selection, final runs skipped' in log


def test_an_interrupted_parallel_sweep_stops_its_runs(tmp_path,
                                                      monkeypatch):
    spec = make_spec(tmp_path, lrs=[0.5, 0.05])
    launcher = Launcher('/tools', jobs=2)
    sleeper = [sys.executable, '-c', 'import time; time.sleep(60)']
    monkeypatch.setattr(launcher, 'command', lambda spec, run: sleeper)
    # Ctrl-C raises KeyboardInterrupt, as in a terminal, even when the suite
    # runs in a background job that inherited an ignored SIGINT
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.time()
    timer = threading.Timer(  # Ctrl-C, for this process only
        1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sweep([spec], launcher, log=lambda line: None)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # both runs were stopped, not waited for, and none is left behind
    assert time.time() - started < 30
    assert not launcher._processes


def test_a_task_dir_of_another_config_is_refused(tmp_path):
    spec = make_spec(tmp_path)
    with pytest.raises(SweepError, match=r"task\(s\) \['cub'\]"):
        quiet_sweep([spec, make_spec(tmp_path)], FakeTrain(spec))
    quiet_sweep([spec], FakeTrain(spec))
    spec.config = 'configs/x/other.py'
    with pytest.raises(SweepError, match='holds the sweep of task.py'):
        quiet_sweep([spec], FakeTrain(spec))


class PromptTrain(FakeTrain):
    """Val top-1 peaks at p = 5 and lr 0.05; test top-1 80 + seed + p."""

    def score(self, run):
        if run.phase == 'tune':
            return 60. - 10 * run.base_lr - abs(run.num_tokens - 5)
        return 80. + run.seed + run.num_tokens


def test_sweep_selects_the_prompt_length_and_records_it(tmp_path):
    spec = make_spec(tmp_path, prompt_cfg())
    fake = PromptTrain(spec)
    stats, log = quiet_sweep([spec], fake)
    assert stats.trained == 8 and stats.failed == []
    assert 'tune: 2 lr x 1 wd x 3 prompt length(s) [1, 5, 10] x 1 seed(s)' \
        in log
    assert 'best base lr 0.05, weight decay 0.001, prompt length 5' in log
    assert [label for label, _ in fake.calls[-2:]] == [
        'final lr0.05_wd0.001_p5_seed0', 'final lr0.05_wd0.001_p5_seed1'
    ]
    assert all('model.backbone.prompt_cfg.num_tokens=5' in command
               for _, command in fake.calls[-2:])
    results = json.load(open(osp.join(spec.work_dir, 'results.json')))
    assert results['tune']['num_tokens'] == [1, 5, 10]
    # val_top1[i][j][k]: base_lr[i], weight_decay[j], num_tokens[k]
    assert results['tune']['val_top1'] == [[[51., 55., 50.]],
                                           [[55.5, 59.5, 54.5]]]
    assert results['tune']['runs'][1]['num_tokens'] == 5
    assert results['best']['num_tokens'] == 5
    assert results['best']['val_top1'] == 59.5
    assert [run['num_tokens'] for run in results['final']['runs']] == [5, 5]
    assert results['final']['test_top1_mean'] == 85.5
    # one heat map panel per p, side by side: wider than tall
    width, height = png_size(osp.join(spec.work_dir, 'grid.png'))
    assert width > 1.5 * height
    # resumable; and the dry run of a fresh dir shows the axis
    fake = PromptTrain(spec)
    stats, _ = quiet_sweep([spec], fake)
    assert fake.calls == [] and stats.skipped == 8
    other = make_spec(tmp_path / 'dry', prompt_cfg())
    _, log = quiet_sweep([other], fake, dry_run=True)
    assert 'tune lr0.05_wd0.001_p10_seed0: to run' in log
    assert 'model.backbone.prompt_cfg.num_tokens=10 randomness.seed=0' in log
