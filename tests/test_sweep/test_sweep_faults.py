"""The sweep under faults: untrusted scores, locked folders, held runs."""
import json
import math
import os.path as osp
import subprocess
import sys

import pytest
from sweep_helpers import SCALARS, make_spec, write_log
from test_sweep_runner import FakeTrain, quiet_sweep

from vpt_mm.runlock import LOCK_FILE, RunDirLock, RunDirLocked, check_unlocked
from vpt_mm.sweep.errors import SweepError
from vpt_mm.sweep.plan import tune_runs
from vpt_mm.sweep.state import RESULT_FILE, is_score, read_result

HOLD = """
import sys, time
from vpt_mm.runlock import RunDirLock
RunDirLock(sys.argv[1], 'holding').acquire()
print('held', flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder():
    """Start a process that holds a folder's lock until it is killed."""
    processes = []

    def start(folder):
        process = subprocess.Popen([sys.executable, '-c', HOLD, folder],
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == 'held'
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait()


@pytest.mark.parametrize('value', [1e9, -1., math.nan, math.inf, '80', True,
                                   None])
def test_a_score_must_be_a_finite_number_in_0_100(value):
    assert not is_score(value)


@pytest.mark.parametrize('value', [0, 55.5, 100])
def test_scores_that_can_be_one(value):
    assert is_score(value)


def test_an_untrusted_result_is_rescored_from_the_runs_log(tmp_path):
    spec = make_spec(tmp_path)
    quiet_sweep([spec], FakeTrain(spec))
    results = json.load(open(osp.join(spec.work_dir, 'results.json')))
    assert results['best']['base_lr'] == 0.05
    # a score of 1e9 written into the run that lost the grid
    loser = tune_runs(spec)[0]
    path = osp.join(loser.work_dir, RESULT_FILE)
    marker = json.load(open(path))
    assert marker['top1'] == 55.
    marker['top1'] = 1e9
    json.dump(marker, open(path, 'w'))
    assert read_result(loser) is None

    fake = FakeTrain(spec)
    stats, log = quiet_sweep([spec], fake)
    assert fake.calls == []  # nothing trained: re-scored from its log
    assert 're-scored from its log: val top-1 55.00' in log
    assert 'held 1000000000.0, not a score' in log
    after = json.load(open(path))
    assert after['top1'] == 55. and after['rescored_from'] == 1e9
    results = json.load(open(osp.join(spec.work_dir, 'results.json')))
    assert results['best']['base_lr'] == 0.05  # the selection stands


def test_an_untrusted_result_without_a_log_score_trains_again(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    run = tune_runs(spec)[0]
    write_log(run.work_dir, '20231231_000000', SCALARS[:1])  # no score
    json.dump(dict(top1=float('nan')),
              open(osp.join(run.work_dir, RESULT_FILE), 'w'))
    fake = FakeTrain(spec)
    stats, log = quiet_sweep([spec], fake)
    assert [label for label, _ in fake.calls][0] == run.label
    assert 'cannot be re-scored (no accuracy/top1 in its logs)' in log
    assert read_result(run)['top1'] == 55.


def test_a_logged_score_out_of_range_fails_the_run(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    fake = FakeTrain(spec)
    fake.score = lambda run: 1e9
    stats, log = quiet_sweep([spec], fake)
    assert stats.failed == ['cub tune lr0.5_wd0.001_seed0']
    assert 'accuracy/top1 = 1000000000.0 is not a finite number in ' \
        '[0, 100]' in log


def test_a_second_sweep_on_a_task_dir_is_refused(tmp_path, holder):
    spec = make_spec(tmp_path)
    process = holder(spec.work_dir)
    with pytest.raises(SweepError, match=f'in use by process {process.pid}'):
        quiet_sweep([spec], FakeTrain(spec))
    process.kill()
    process.wait()
    # the OS drops the lock of a killed holder: no stale lock
    stats, _ = quiet_sweep([spec], FakeTrain(spec))
    assert stats.trained == 4


def test_a_run_dir_held_by_a_run_left_behind_is_not_trained(tmp_path,
                                                             holder):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    run = tune_runs(spec)[0]
    process = holder(run.work_dir)
    fake = FakeTrain(spec)
    stats, log = quiet_sweep([spec], fake)
    assert fake.calls == [] and stats.failed == [f'cub {run.label}']
    assert f'{run.work_dir} is in use by process {process.pid} ' \
        '(holding:' in log


def test_a_lock_is_exclusive_and_released(tmp_path):
    folder = str(tmp_path / 'run')
    with RunDirLock(folder, 'training'):
        assert osp.isfile(osp.join(folder, LOCK_FILE))
        with pytest.raises(RunDirLocked, match='a second writer is refused'):
            RunDirLock(folder).acquire()
        with pytest.raises(RunDirLocked):
            check_unlocked(folder)
    check_unlocked(folder)
    check_unlocked(str(tmp_path / 'never-made'))
    assert not osp.exists(tmp_path / 'never-made')
