"""tools/sweep.py killed with SIGKILL or SIGTERM leaves no run training
and no lock behind; a held work dir is refused by tools/train.py; a sweep
dir that cannot be written exits 2 naming it."""
import importlib.util
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from vpt_mm import runlock
from vpt_mm.runlock import (LOCK_FILE, RunDirLock, RunDirLocked,
                            check_unlocked)
from test_sweep_tool import write_task

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SWEEP = osp.join(ROOT, 'tools', 'sweep.py')
TRAIN = osp.join(ROOT, 'tools', 'train.py')

# trains for as long as it is let
TASK_CONFIG = """
_base_ = {smoke!r}
data_root = {data!r}
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
protocol = dict(tune=dict(train='train', val='val'),
                final=dict(train='trainval', test='test'))
task_name = 'cub'
benchmark = 'fgvc'
sweep_grid = dict(base_lr=[0.5], weight_decay=[0.001])
param_scheduler = []
train_cfg = dict(max_iters=1000000, val_interval=1000000)
default_hooks = dict(checkpoint=dict(interval=1000000))
"""


@pytest.fixture(scope='module')
def task(tmp_path_factory):
    return write_task(tmp_path_factory.mktemp('kill'), TASK_CONFIG)


def alive(pid):
    """Whether ``pid`` runs (a zombie nobody reaped has ended)."""
    try:
        with open(f'/proc/{pid}/status') as file:
            return 'State:\tZ' not in file.read()
    except FileNotFoundError:
        return False


def wait_for(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f'not within {seconds} s: {what}')


def unlocked(folder):
    try:
        check_unlocked(folder)
    except RunDirLocked:
        return False
    return True


def lock_holder(folder):
    try:
        text = open(osp.join(folder, LOCK_FILE)).read()
    except FileNotFoundError:
        return None
    pid = text.split(' ', 1)[0]
    return int(pid) if pid.isdigit() and 'training:' in text else None


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='children die with their parent on Linux only')
@pytest.mark.parametrize('signum', [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_sweep_leaves_no_run_behind(task, signum):
    work = f'sweep-{signum.name}'
    run_dir = str(task / work / 'cub' / 'tune' / 'lr0.5_wd0.001_seed0')
    sweep = subprocess.Popen(
        [sys.executable, SWEEP, 'toy_cub.py', '--work-dir', work,
         '--num-seeds', '1'], cwd=str(task), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: lock_holder(run_dir), 300,
                 'the run started and took its work dir')
        child = lock_holder(run_dir)
        assert child != sweep.pid and alive(child)
        sweep.send_signal(signum)
        _, err = sweep.communicate(timeout=60)
    finally:
        sweep.kill()
        sweep.wait()
    if signum == signal.SIGTERM:
        assert sweep.returncode == 143, err
        assert 'stopped by SIGTERM; the runs going on were stopped' in err
    else:
        assert sweep.returncode == -signal.SIGKILL
    wait_for(lambda: not alive(child), 60, f'run {child} ended')
    # no lock is left once the run's data workers (which share its lock
    # file) have seen their parent go: the next sweep may write there
    wait_for(lambda: unlocked(run_dir), 60, 'the run dir was unlocked')
    check_unlocked(str(task / work / 'cub'))


def test_train_refuses_a_work_dir_held_by_another_process(task):
    held = str(task / 'held')
    with RunDirLock(held, 'testing'):
        result = subprocess.run(
            [sys.executable, TRAIN, 'toy_cub.py', '--work-dir', held],
            cwd=str(task), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert (f'--work-dir: {held} is in use by process {os.getpid()} '
            '(testing:') in result.stderr.strip().splitlines()[-1]
    assert not [name for name in os.listdir(held) if name != LOCK_FILE]


def test_a_sweep_dir_that_cannot_be_written_exits_2(task):
    # a regular file where the sweep dir should be
    (task / 'a-file').write_text('x')
    result = subprocess.run(
        [sys.executable, SWEEP, 'toy_cub.py', '--work-dir', 'a-file'],
        cwd=str(task), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f'sweep: cannot write the task dir {osp.join("a-file", "cub")}: '
        'Not a directory; give a writable --work-dir'
    ]


def load_sweep_tool():
    spec = importlib.util.spec_from_file_location('sweep_tool', SWEEP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_read_only_sweep_dir_exits_2(task, monkeypatch, capsys):
    readonly = task / 'readonly'
    readonly.mkdir()
    readonly.chmod(0o555)
    expected = [
        f'sweep: cannot write the task dir {osp.join("readonly", "cub")}: '
        'Permission denied; give a writable --work-dir'
    ]
    if os.geteuid() != 0:
        result = subprocess.run(
            [sys.executable, SWEEP, 'toy_cub.py', '--work-dir', 'readonly'],
            cwd=str(task), capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == expected
        return
    # root writes anywhere: the OS's answer to anyone else, in-process
    real_open = runlock.os.open

    def denied(path, *args, **kwargs):
        if path.startswith(osp.join('readonly', '')):
            raise PermissionError(13, 'Permission denied', path)
        return real_open(path, *args, **kwargs)

    monkeypatch.chdir(task)
    monkeypatch.setattr(runlock.os, 'open', denied)
    assert load_sweep_tool().main(
        ['toy_cub.py', '--work-dir', 'readonly']) == 2
    assert capsys.readouterr().err.strip().splitlines() == expected
