"""vpt_mm.utils.sweep: plan, resume, scores, selection, aggregation, plot."""
import csv
import itertools
import json
import math
import os
import os.path as osp
import signal
import sys
import threading
import time

import pytest
from mmengine.config import Config

from vpt_mm.utils import sweep
from vpt_mm.utils.sweep import (Launcher, SweepError, final_runs,
                                grid_means, last_score, mean_std,
                                parse_cfg_options, read_scalars, run_state,
                                run_sweep, select_best, task_from_config,
                                train_command, tune_runs)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
VTAB_PROTOCOL = dict(tune=dict(train='train800', val='val200'),
                     final=dict(train='train800val200', test='test'))
FGVC_PROTOCOL = dict(tune=dict(train='train', val='val'),
                     final=dict(train='trainval', test='test'))


def vtab_cfg(**extra):
    cfg = dict(
        protocol=VTAB_PROTOCOL, task_name='cifar100', benchmark='vtab1k',
        sweep_grid=dict(base_lr=[1.0, 0.1], weight_decay=[0.01, 0.0]),
        train_cfg=dict(by_epoch=True, max_epochs=100, val_interval=10),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=50)))
    cfg.update(extra)
    return Config(cfg)


def iter_cfg(**extra):
    cfg = dict(
        protocol=FGVC_PROTOCOL, task_name='cub', benchmark='fgvc',
        sweep_grid=dict(base_lr=[0.5, 0.05], weight_decay=[0.001]),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=10,
                       val_interval=5),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=10)))
    cfg.update(extra)
    return Config(cfg)


def make_spec(tmp_path, cfg=None, **kwargs):
    kwargs.setdefault('seeds', [0, 1])
    return task_from_config(cfg or iter_cfg(), 'configs/x/task.py',
                            str(tmp_path / 'sweep'), **kwargs)


# -- plan --------------------------------------------------------------------
def test_tune_plan_is_the_grid_with_the_swept_options(tmp_path):
    spec = make_spec(tmp_path, vtab_cfg(), seeds=range(5))
    assert spec.task == 'cifar100' and spec.benchmark == 'vtab1k'
    assert spec.work_dir == str(tmp_path / 'sweep' / 'cifar100')
    runs = tune_runs(spec)
    assert [run.name for run in runs] == [
        'lr1_wd0.01_seed0', 'lr1_wd0_seed0', 'lr0.1_wd0.01_seed0',
        'lr0.1_wd0_seed0'
    ]
    run = runs[2]
    assert run.work_dir == osp.join(spec.work_dir, 'tune',
                                    'lr0.1_wd0.01_seed0')
    assert run.cfg_options == [
        'optim_wrapper.optimizer.lr=0.1',
        'optim_wrapper.optimizer.weight_decay=0.01',
        'randomness.seed=0',
        'train_dataloader.dataset.split=train800',
        'val_dataloader.dataset.split=val200',
        'train_cfg.val_interval=100',
    ]
    # epoch-based: the last validation is logged at the last epoch
    assert spec.final_step == 100


def test_final_plan_trains_on_train_val_and_scores_on_test(tmp_path):
    spec = make_spec(tmp_path, vtab_cfg(), seeds=range(5))
    runs = final_runs(spec, 0.1, 0.0)
    assert [run.seed for run in runs] == [0, 1, 2, 3, 4]
    assert runs[3].work_dir == osp.join(spec.work_dir, 'final',
                                        'lr0.1_wd0_seed3')
    options = parse_cfg_options(runs[3].cfg_options)
    assert options == {
        'optim_wrapper.optimizer.lr': 0.1,
        'optim_wrapper.optimizer.weight_decay': 0.0,
        'randomness.seed': 3,
        'train_dataloader.dataset.split': 'train800val200',
        'val_dataloader.dataset.split': 'test',
        'train_cfg.val_interval': 100,
    }


def test_iteration_based_runs_log_the_score_at_the_last_iteration(
        tmp_path):
    spec = make_spec(tmp_path)
    run = tune_runs(spec)[0]
    assert run.name == 'lr0.5_wd0.001_seed0'
    assert run.cfg_options[-2:] == [
        'train_cfg.val_interval=10',
        'default_hooks.logger.log_metric_by_epoch=False'
    ]
    assert spec.final_step == 10
    assert (run.train_split, run.eval_split) == ('train', 'val')
    assert final_runs(spec, 0.5, 0.001)[1].cfg_options[3:5] == [
        'train_dataloader.dataset.split=trainval',
        'val_dataloader.dataset.split=test'
    ]


def test_plan_options_apply_to_the_smoke_config(tmp_path):
    cfg = Config.fromfile(SMOKE)
    cfg.merge_from_dict(dict(protocol=FGVC_PROTOCOL, task_name='cub',
                             benchmark='fgvc'))
    spec = task_from_config(cfg, SMOKE, str(tmp_path), lrs=[2.5],
                            wds=[0.0001], seeds=[7])
    run = final_runs(spec, 2.5, 0.0001)[0]
    cfg.merge_from_dict(parse_cfg_options(run.cfg_options))
    assert cfg.optim_wrapper.optimizer.lr == 2.5
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.0001
    assert cfg.randomness.seed == 7
    assert cfg.train_dataloader.dataset.split == 'trainval'
    assert cfg.val_dataloader.dataset.split == 'test'
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_iters == 60
    assert cfg.default_hooks.logger.log_metric_by_epoch is False


def test_passthrough_options_come_first_and_val_interval_is_respected(
        tmp_path):
    spec = make_spec(
        tmp_path, vtab_cfg(), seeds=[0],
        cfg_options=['model.head.num_classes=10', 'train_cfg.val_interval=5'])
    run = tune_runs(spec)[0]
    assert run.cfg_options[:2] == [
        'model.head.num_classes=10', 'train_cfg.val_interval=5'
    ]
    assert not any('val_interval=100' in o for o in run.cfg_options)
    # the last validation is still at the last epoch (mmengine's loop)
    assert spec.final_step == 100
    spec = make_spec(tmp_path, vtab_cfg(), val_interval=False)
    assert spec.loop_options == []


def test_plan_rejects_swept_keys_in_cfg_options(tmp_path):
    with pytest.raises(SweepError, match='optim_wrapper.optimizer.lr'):
        make_spec(tmp_path, cfg_options=['optim_wrapper.optimizer.lr=1'])


@pytest.mark.parametrize('drop, message', [
    ('protocol', 'protocol = dict'),
    ('task_name', 'task_name'),
    ('benchmark', 'benchmark'),
    ('sweep_grid', 'sweep_grid.base_lr'),
])
def test_plan_names_what_the_config_lacks(tmp_path, drop, message):
    cfg = vtab_cfg()
    cfg.pop(drop)
    with pytest.raises(SweepError, match=message) as error:
        make_spec(tmp_path, cfg)
    assert 'configs/x/task.py' in str(error.value)


def test_plan_checks_task_names_and_grids(tmp_path):
    with pytest.raises(SweepError, match='not a vtab1k task'):
        make_spec(tmp_path, vtab_cfg(task_name='cifar'))
    with pytest.raises(SweepError, match='repeated'):
        make_spec(tmp_path, lrs=[0.1, 0.1])
    with pytest.raises(SweepError, match='distinct seeds'):
        make_spec(tmp_path, seeds=[1, 1])
    cfg = vtab_cfg()
    cfg.pop('sweep_grid')
    spec = make_spec(tmp_path, cfg, lrs=[5], wds=[0])
    assert [run.name for run in tune_runs(spec)] == ['lr5_wd0_seed0']


def test_train_commands(tmp_path):
    spec = make_spec(tmp_path)
    run = tune_runs(spec)[0]
    command = train_command(spec, run, '/tools', python='py')
    assert command[:5] == [
        'py', '/tools/train.py', 'configs/x/task.py', '--work-dir',
        run.work_dir
    ]
    assert command[5] == '--cfg-options'
    assert command[6:] == run.cfg_options
    command = train_command(spec, run, '/tools', gpus=4, resume=True)
    assert command[:7] == [
        'bash', '/tools/dist_train.sh', 'configs/x/task.py', '4',
        '--work-dir', run.work_dir, '--resume'
    ]


# -- scores ------------------------------------------------------------------
# the lines mmengine 0.10 writes to <timestamp>/vis_data/scalars.json
SCALARS = [
    {'base_lr': 0.167, 'lr': 0.0104, 'data_time': 0.0086, 'loss': 1.4049,
     'time': 0.2878, 'iter': 4, 'step': 4},
    {'accuracy/top1': 50.0, 'data_time': 0.0070, 'time': 0.1913, 'step': 5},
    {'base_lr': 0.5, 'lr': 0.03125, 'data_time': 0.0099, 'loss': 1.2212,
     'time': 0.3017, 'iter': 10, 'step': 10},
    {'accuracy/top1': 75.0, 'data_time': 0.0070, 'time': 0.1913, 'step': 10},
]


def write_log(work_dir, stamp, records, tail=''):
    folder = osp.join(work_dir, stamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'scalars.json'), 'w') as file:
        for record in records:
            file.write(json.dumps(record) + '\n')
        file.write(tail)


def test_read_scalars_skips_train_lines_and_a_truncated_tail(tmp_path):
    write_log(str(tmp_path), '20240101_120000', SCALARS,
              tail='{"accuracy/top1": 9')
    path = tmp_path / '20240101_120000' / 'vis_data' / 'scalars.json'
    assert read_scalars(str(path)) == [(50.0, 5), (75.0, 10)]
    assert read_scalars(str(path), 'loss') == [(1.4049, 4), (1.2212, 10)]


def test_last_score_takes_the_newest_log_with_the_metric(tmp_path):
    work_dir = str(tmp_path)
    assert last_score(work_dir) is None
    write_log(work_dir, '20240101_120000', SCALARS[:2])
    write_log(work_dir, '20240102_080000', SCALARS)
    # a resumed start that validated nothing
    write_log(work_dir, '20240103_080000', SCALARS[:1])
    os.makedirs(osp.join(work_dir, 'not_a_timestamp'))
    score = last_score(work_dir)
    assert score['value'] == 75.0 and score['step'] == 10
    assert '20240102_080000' in score['file']
    assert last_score(work_dir, stamps=['20240103_080000']) is None
    assert last_score(work_dir, stamps=['20240101_120000'])['value'] == 50.


def test_last_score_reads_the_logger_json_too(tmp_path):
    folder = tmp_path / '20240101_120000' / 'vis_data'
    folder.mkdir(parents=True)
    (folder / '20240101_120000.json').write_text(
        json.dumps(SCALARS[-1]) + '\n')
    assert last_score(str(tmp_path))['value'] == 75.0


# -- selection ---------------------------------------------------------------
def test_select_best_and_its_ties():
    assert select_best({(1.0, 0.0): 50., (0.1, 0.0): 60.}) == (0.1, 0.0)
    # equal scores: the smaller lr, then the larger weight decay
    assert select_best({(1.0, 0.0): 60., (0.1, 0.0): 60.,
                        (10., 0.01): 60.}) == (0.1, 0.0)
    assert select_best({(0.1, 0.0): 60., (0.1, 0.01): 60.,
                        (0.1, 0.001): 60.}) == (0.1, 0.01)
    # within the tolerance is a tie; None and NaN are ignored
    assert select_best({(0.5, 0.0): 60. + 1e-9, (0.25, 0.0): 60.,
                        (0.05, 0.0): None,
                        (0.01, 0.0): math.nan}) == (0.25, 0.0)
    with pytest.raises(SweepError):
        select_best({(0.5, 0.0): None})


def test_grid_means_average_the_tune_seeds(tmp_path):
    spec = make_spec(tmp_path, tune_seeds=[0, 1])
    scores = {'lr0.5_wd0.001_seed0': 70., 'lr0.5_wd0.001_seed1': 80.,
              'lr0.05_wd0.001_seed0': 90.}
    assert grid_means(spec, scores) == {(0.5, 0.001): 75.,
                                        (0.05, 0.001): None}


def test_mean_std():
    assert mean_std([1., 2., 3.]) == (2., 1.)
    assert mean_std([80.]) == (80., 0.)


# -- running, skipping, resuming ---------------------------------------------
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
            with open(osp.join(run.work_dir, sweep.LOG_FILE), 'a') as file:
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
    assert sweep.png_size(osp.join(spec.work_dir, 'grid.png'))[0] > 100
    marker = json.load(open(osp.join(spec.work_dir, 'final',
                                     'lr0.05_wd0.001_seed1',
                                     sweep.RESULT_FILE)))
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
    os.remove(osp.join(killed.work_dir, sweep.RESULT_FILE))
    assert run_state(killed) == 'partial'
    assert run_state(tune_runs(spec)[0]) == 'done'
    stats, _ = quiet_sweep([spec], fake)
    assert [label for label, _ in fake.calls] == [killed.label]
    assert (stats.trained, stats.skipped) == (1, 3)
    assert run_state(killed) == 'done'


def test_killed_runs_resume_from_their_checkpoint(tmp_path):
    spec = make_spec(tmp_path)
    run = final_runs(spec, 0.5, 0.001)[0]
    assert run_state(run) == 'pending'
    os.makedirs(run.work_dir)
    open(osp.join(run.work_dir, 'last_checkpoint'), 'w').close()
    assert run_state(run) == 'partial'
    launcher = Launcher('/tools')
    # no record of how it started: start over
    assert '--resume' not in launcher.command(spec, run)
    sweep._write_json(osp.join(run.work_dir, sweep.START_FILE),
                      dict(cfg_options=run.cfg_options))
    assert '--resume' in launcher.command(spec, run)
    assert '--resume' not in Launcher('/t', resume=False).command(spec, run)
    sweep._write_json(osp.join(run.work_dir, sweep.START_FILE),
                      dict(cfg_options=run.cfg_options + ['a=1']))
    assert '--resume' not in launcher.command(spec, run)


def test_a_resume_that_scores_nothing_trains_again(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    run = tune_runs(spec)[0]
    os.makedirs(run.work_dir)
    open(osp.join(run.work_dir, 'last_checkpoint'), 'w').close()
    sweep._write_json(osp.join(run.work_dir, sweep.START_FILE),
                      dict(cfg_options=run.cfg_options))
    write_log(run.work_dir, '20231231_000000', SCALARS)  # a stale score
    fake = FakeTrain(spec, no_score_on_resume=True)
    stats, log = quiet_sweep([spec], fake)
    assert ['--resume' in command for _, command in fake.calls[:2]] == [
        True, False
    ]
    assert 'training it again from the start' in log
    assert run_state(run) == 'done' and stats.failed == []
    assert sweep.read_result(run)['top1'] == 55.


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
                       sweep.RESULT_FILE))
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


def test_slots_divide_threads_gpus_and_ports(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.delenv('PORT', raising=False)
    monkeypatch.setattr(os, 'cpu_count', lambda: 16)
    assert Launcher('/t').slot_env(0) == {}
    single = Launcher('/t', jobs=4, devices=['4', '5', '6'])
    assert [single.slot_env(k) for k in range(4)] == [
        dict(OMP_NUM_THREADS='4', CUDA_VISIBLE_DEVICES=device)
        for device in ('4', '5', '6', '4')
    ]
    dist = Launcher('/t', gpus=2, jobs=2, devices=['0', '1', '2', '3'])
    assert dist.slot_env(1) == dict(OMP_NUM_THREADS='8',
                                    CUDA_VISIBLE_DEVICES='2,3', PORT='29501')
    monkeypatch.setenv('PORT', '30000')
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    assert dist.slot_env(0) == dict(CUDA_VISIBLE_DEVICES='0,1',
                                    PORT='30000')
    with pytest.raises(SweepError, match=r'3 jobs x 2 GPU\(s\) need 6 GPUs; '
                       r'4 visible \(0,1,2,3\)'):
        Launcher('/t', gpus=2, jobs=3, devices=['0', '1', '2', '3'])
    with pytest.raises(SweepError, match='jobs must be at least 1'):
        Launcher('/t', jobs=0)
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '2,7')
    assert sweep.cuda_devices() == ['2', '7']


def test_the_launcher_gives_a_run_its_slot_environment(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    run = tune_runs(spec)[0]
    os.makedirs(run.work_dir)
    command = [sys.executable, '-c',
               'import os; print("threads", os.environ["OMP_NUM_THREADS"])']
    status = Launcher('/t', jobs=2)(command, run,
                                    dict(OMP_NUM_THREADS='3'))
    assert status == 0
    with open(osp.join(run.work_dir, sweep.LOG_FILE)) as file:
        log = file.read()
    assert log.startswith('$ OMP_NUM_THREADS=3 ') and 'threads 3\n' in log


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


# -- aggregation -------------------------------------------------------------
def write_results(sweep_dir, benchmark, task, mean, complete=True):
    results = dict(task=task, benchmark=benchmark, config=f'{task}.py',
                   final=dict(seeds=[0, 1, 2, 3, 4],
                              test_top1_mean=mean if complete else None,
                              test_top1_std=0.1))
    sweep._write_json(osp.join(sweep_dir, task, 'results.json'), results)


@pytest.fixture
def two_methods(tmp_path):
    deep, linear = str(tmp_path / 'deep'), str(tmp_path / 'linear')
    for task, mean in [('cifar100', 78.8), ('dtd', 65.8),
                       ('eurosat', 96.1), ('clevr_count', 68.5)]:
        write_results(deep, 'vtab1k', task, mean)
    write_results(deep, 'vtab1k', 'svhn', 12.3, complete=False)
    write_results(deep, 'fgvc', 'cub', 88.5)
    write_results(deep, 'fgvc', 'cars', 83.6)
    write_results(linear, 'fgvc', 'cub', 85.3)
    write_results(linear, 'toy', 'digits', 91.25)
    return [('VPT-deep', deep), ('Linear', linear)]


def test_summary_markdown_follows_the_paper_tables(two_methods, tmp_path):
    md_path, _ = sweep.write_summary(two_methods, str(tmp_path / 'out'))
    text = open(md_path).read()
    lines = text.splitlines()
    vtab_header = next(line for line in lines
                       if line.startswith('| Method | CIFAR-100'))
    names = [cell.strip() for cell in vtab_header.strip('|').split('|')]
    assert names == [
        'Method', 'CIFAR-100', 'Caltech101', 'DTD', 'Flowers102', 'Pets',
        'SVHN', 'Sun397', 'Natural mean', 'Patch Camelyon', 'EuroSAT',
        'Resisc45', 'Retinopathy', 'Specialized mean', 'Clevr/count',
        'Clevr/distance', 'DMLab', 'KITTI/distance', 'dSprites/location',
        'dSprites/orientation', 'SmallNORB/azimuth', 'SmallNORB/elevation',
        'Structured mean'
    ]
    deep_vtab = [line for line in lines if line.startswith('| VPT-deep')][0]
    cells = [cell.strip() for cell in deep_vtab.strip('|').split('|')]
    # svhn has not finished its seeds: missing, not in the mean
    assert cells[1:9] == ['78.8', '-', '65.8', '-', '-', '-', '-', '72.30*']
    assert cells[12] == '-' and cells[13] == '96.10*'
    assert cells[14] == '68.5' and cells[22] == '68.50*'
    linear_vtab = [line for line in lines if line.startswith('| Linear')][0]
    assert set(linear_vtab.strip('|').split('|')[1:]) == {' - '}
    assert '| Method | CUB-200-2011 | NABirds | Oxford Flowers | ' \
        'Stanford Dogs | Stanford Cars | FGVC mean |' in text
    assert '| VPT-deep | 88.5 | - | - | - | 83.6 | 86.05* |' in text
    assert '| Linear | 85.3 | - | - | - | - | 85.30* |' in text
    # a benchmark of neither table gets its own
    assert '| Method | digits | toy mean |' in text
    assert '| Linear | 91.2 | 91.25 |' in text
    assert 'only the tasks present' in text and '`*`' in text
    assert text.index('VTAB-1k') < text.index('FGVC (') < text.index('toy')


def test_summary_csv_has_every_column_and_empty_missing_cells(
        two_methods, tmp_path):
    _, csv_path = sweep.write_summary(two_methods, str(tmp_path / 'out'))
    rows = list(csv.DictReader(open(csv_path)))
    header = list(rows[0])
    assert header[:9] == ['method', 'cifar100', 'caltech101', 'dtd',
                          'oxford_flowers102', 'oxford_pet', 'svhn',
                          'sun397', 'natural_mean']
    assert header.index('structured_n') < header.index('cub')
    assert header[-10:] == ['cub', 'nabirds', 'flowers', 'dogs', 'cars',
                            'fgvc_mean', 'fgvc_n', 'digits', 'toy_mean',
                            'toy_n']
    deep, linear = rows
    assert deep['method'] == 'VPT-deep' and linear['method'] == 'Linear'
    assert float(deep['cifar100']) == 78.8 and deep['svhn'] == ''
    assert float(deep['natural_mean']) == 72.3 and deep['natural_n'] == '2'
    assert deep['specialized_n'] == '1' and float(deep['fgvc_mean']) == 86.05
    assert linear['natural_mean'] == '' and linear['natural_n'] == '0'
    assert float(linear['digits']) == 91.25


def test_summary_of_nothing(tmp_path):
    (tmp_path / 'empty').mkdir()
    md_path, csv_path = sweep.write_summary([('m', str(tmp_path / 'empty'))],
                                            str(tmp_path))
    assert 'No task has finished' in open(md_path).read()
    assert open(csv_path).read().startswith('method,cifar100,')
    with pytest.raises(SweepError, match='no folder'):
        sweep.write_summary([('m', str(tmp_path / 'nope'))], str(tmp_path))


# -- heat map ----------------------------------------------------------------
def test_heat_map_is_a_png_of_the_grid(tmp_path):
    lrs = [50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05]
    wds = [0.01, 0.001, 0.0001, 0.]
    values = [[40. + i + j for j in range(4)] for i in range(10)]
    values[0][3] = None
    path = sweep.plot_grid(lrs, wds, values, str(tmp_path / 'a' / 'g.png'),
                           best=(0.05, 0.), title='kitti')
    width, height = sweep.png_size(path)
    assert 300 <= width <= 2000 and 300 <= height <= 2000
    assert height > width * 0.8  # ten rows, four columns
    assert os.path.getsize(path) > 5000
    (tmp_path / 'not.png').write_bytes(b'GIF89a' + b'\0' * 30)
    with pytest.raises(ValueError):
        sweep.png_size(str(tmp_path / 'not.png'))


# -- the prompt length axis (A.1: p is searched with the grid) ---------------
def prompt_cfg(lengths=(1, 5, 10), **extra):
    return iter_cfg(
        sweep_grid=dict(base_lr=[0.5, 0.05], weight_decay=[0.001],
                        num_tokens=list(lengths)),
        model=dict(backbone=dict(prompt_cfg=dict(num_tokens=10))), **extra)


class PromptTrain(FakeTrain):
    """Val top-1 peaks at p = 5 and lr 0.05; test top-1 80 + seed + p."""

    def score(self, run):
        if run.phase == 'tune':
            return 60. - 10 * run.base_lr - abs(run.num_tokens - 5)
        return 80. + run.seed + run.num_tokens


def test_prompt_length_is_a_third_axis_of_the_tune_phase(tmp_path):
    spec = make_spec(tmp_path, prompt_cfg())
    assert spec.num_tokens == [1, 5, 10]
    runs = tune_runs(spec)
    assert [run.name for run in runs[:3]] == [
        'lr0.5_wd0.001_p1_seed0', 'lr0.5_wd0.001_p5_seed0',
        'lr0.5_wd0.001_p10_seed0'
    ]
    assert len(runs) == 6 and runs[4].setting == (0.05, 0.001, 5)
    assert parse_cfg_options(runs[4].cfg_options)[sweep.PROMPT_KEY] == 5
    final = final_runs(spec, 0.05, 0.001, 10)
    assert final[1].work_dir.endswith(
        osp.join('final', 'lr0.05_wd0.001_p10_seed1'))
    assert 'model.backbone.prompt_cfg.num_tokens=10' in final[1].cfg_options
    with pytest.raises(ValueError, match='num_tokens'):
        final_runs(spec, 0.05, 0.001)
    # --num-tokens adds the axis to a config without it, or replaces it
    cfg = iter_cfg(model=dict(backbone=dict(prompt_cfg=dict())))
    assert make_spec(tmp_path, cfg, num_tokens=[3]).num_tokens == [3]
    assert make_spec(tmp_path, prompt_cfg(), num_tokens=[7, 9]).settings[
        :2] == [(0.5, 0.001, 7), (0.5, 0.001, 9)]
    # a config of lr x wd only keeps its run names (old sweep dirs resume)
    assert make_spec(tmp_path).num_tokens is None


def test_the_grid_is_checked_key_by_key(tmp_path):
    cfg = iter_cfg(sweep_grid=dict(base_lr=[0.1], weight_decay=[0.],
                                   prompt_length=[1, 5]))
    with pytest.raises(SweepError, match=r"unknown key\(s\) \['prompt_length"
                       r"'\]") as error:
        make_spec(tmp_path, cfg)
    assert 'configs/x/task.py' in str(error.value)
    # the swept p cannot be set by hand as well; without the axis it can
    with pytest.raises(SweepError, match='model.backbone.prompt_cfg.'
                       'num_tokens.*--num-tokens'):
        make_spec(tmp_path, prompt_cfg(),
                  cfg_options=['model.backbone.prompt_cfg.num_tokens=3'])
    make_spec(tmp_path, cfg_options=['model.backbone.prompt_cfg.num_tokens=3'])
    with pytest.raises(SweepError, match='no model.backbone.prompt_cfg'):
        make_spec(tmp_path, num_tokens=[1, 5])
    for lengths in ([1, 1], [1.5], [-1], []):
        with pytest.raises(SweepError, match='sweep_grid.num_tokens'):
            make_spec(tmp_path, prompt_cfg(lengths))


def test_select_best_over_prompt_lengths():
    means = {(0.1, 0.0, 10): 60., (0.1, 0.0, 1): 60., (0.5, 0.0, 5): 61.,
             (0.05, 0.001, 50): 60.5}
    assert select_best(means) == (0.5, 0.0, 5)
    # ties: smaller lr first, then larger weight decay, then shorter prompt
    assert select_best({(0.1, 0.0, 10): 60., (0.1, 0.0, 1): 60.,
                        (0.1, 0.001, 50): 59.}) == (0.1, 0.0, 1)


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
    width, height = sweep.png_size(osp.join(spec.work_dir, 'grid.png'))
    assert width > 1.5 * height
    # resumable; and the dry run of a fresh dir shows the axis
    fake = PromptTrain(spec)
    stats, _ = quiet_sweep([spec], fake)
    assert fake.calls == [] and stats.skipped == 8
    other = make_spec(tmp_path / 'dry', prompt_cfg())
    _, log = quiet_sweep([other], fake, dry_run=True)
    assert 'tune lr0.05_wd0.001_p10_seed0: to run' in log
    assert 'model.backbone.prompt_cfg.num_tokens=10 randomness.seed=0' in log


def test_summary_has_the_papers_prompt_length_rows(tmp_path):
    deep, linear = str(tmp_path / 'deep'), str(tmp_path / 'linear')
    for task, mean, length in [('cifar100', 78.8, 10), ('dtd', 65.8, 1),
                               ('eurosat', 96.1, 50)]:
        write_results(deep, 'vtab1k', task, mean)
        path = osp.join(deep, task, 'results.json')
        results = json.load(open(path))
        results['best'] = dict(base_lr=0.1, weight_decay=0.,
                               num_tokens=length)
        sweep._write_json(path, results)
    write_results(linear, 'vtab1k', 'cifar100', 63.4)
    md_path, csv_path = sweep.write_summary(
        [('Swin-deep', deep), ('Linear', linear)], str(tmp_path / 'out'))
    lines = open(md_path).read().splitlines()
    rows = [line for line in lines if line.startswith('| Swin-deep')
            or line.startswith('| Linear')]
    assert rows[0].startswith('| Swin-deep | 78.8 |')
    assert rows[1].startswith('| Swin-deep p | 10 | - | 1 | - |')
    assert '| 5.5* | - | 50 | - | - | 50.0* |' in rows[1]
    assert rows[2].startswith('| Linear | 63.4 |') and len(rows) == 3
    assert any('prompt length p selected' in line for line in lines)
    table = list(csv.DictReader(open(csv_path)))
    assert [row['method'] for row in table] == [
        'Swin-deep', 'Linear', 'Swin-deep p'
    ]
    assert table[2]['cifar100'] == '10' and table[2]['natural_n'] == '2'
    assert float(table[2]['natural_mean']) == 5.5
