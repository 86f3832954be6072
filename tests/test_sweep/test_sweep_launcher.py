"""vpt_mm.sweep.launcher: commands, slots, processes (and resuming)."""
import os
import os.path as osp
import sys

import pytest
from sweep_helpers import make_spec

from vpt_mm.sweep.errors import SweepError
from vpt_mm.sweep.launcher import Launcher, cuda_devices, train_command
from vpt_mm.sweep.plan import final_runs, tune_runs
from vpt_mm.sweep.state import LOG_FILE, START_FILE, run_state, write_json


def test_train_commands(tmp_path):
    spec = make_spec(tmp_path)
    run = tune_runs(spec)[0]
    command = train_command(spec, run, '/tools', python='py')
    assert command[:5] == [
        'py', '/tools/train.py', 'configs/x/task.py', '--work-dir',
        run.work_dir
    ]
    assert command[5] == '--cfg-options'
    assert command[6:-1] == run.cfg_options
    assert command[-1] == 'feature_cache_dir=' + osp.join(
        spec.work_dir, 'feature_cache')
    command = train_command(spec, run, '/tools', gpus=4, resume=True)
    assert command[:7] == [
        'bash', '/tools/dist_train.sh', 'configs/x/task.py', '4',
        '--work-dir', run.work_dir, '--resume'
    ]


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
    write_json(osp.join(run.work_dir, START_FILE),
                      dict(cfg_options=run.cfg_options))
    assert '--resume' in launcher.command(spec, run)
    assert '--resume' not in Launcher('/t', resume=False).command(spec, run)
    write_json(osp.join(run.work_dir, START_FILE),
                      dict(cfg_options=run.cfg_options + ['a=1']))
    assert '--resume' not in launcher.command(spec, run)


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
    assert cuda_devices() == ['2', '7']


def test_the_launcher_gives_a_run_its_slot_environment(tmp_path):
    spec = make_spec(tmp_path, lrs=[0.5], seeds=[0])
    run = tune_runs(spec)[0]
    os.makedirs(run.work_dir)
    command = [sys.executable, '-c',
               'import os; print("threads", os.environ["OMP_NUM_THREADS"])']
    status = Launcher('/t', jobs=2)(command, run,
                                    dict(OMP_NUM_THREADS='3'))
    assert status == 0
    with open(osp.join(run.work_dir, LOG_FILE)) as file:
        log = file.read()
    assert log.startswith('$ OMP_NUM_THREADS=3 ') and 'threads 3\n' in log
