"""tools/sweep.py with resident workers (the default) against a fresh
tools/train.py process per run (--fresh-processes): the same scores and
the same trained weights, each run's output in its own log, and a failed
run's worker replaced by a fresh one."""
import json
import os
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from test_sweep_tool import TOOL, sweep_env, write_task


def sweep(root, work_dir, *extra):
    result = subprocess.run(
        [sys.executable, TOOL, 'toy_cub.py', '--work-dir', work_dir,
         '--num-seeds', '2', *extra], cwd=str(root), env=sweep_env(),
        capture_output=True, text=True, timeout=400)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope='module')
def task(tmp_path_factory):
    return write_task(tmp_path_factory.mktemp('workers'))


def runs_of(task_dir):
    results = json.loads((task_dir / 'results.json').read_text())
    return results, {(phase, run['name']): run['top1']
                     for phase in ('tune', 'final')
                     for run in results[phase]['runs']}


def test_resident_workers_equal_fresh_processes(task):
    status, output = sweep(task, 'fresh', '--fresh-processes')
    assert status == 0, output[-4000:]
    status, output = sweep(task, 'resident')
    assert status == 0, output[-4000:]
    fresh, fresh_scores = runs_of(task / 'fresh' / 'cub')
    resident, resident_scores = runs_of(task / 'resident' / 'cub')
    assert resident['status'] == 'complete'
    assert resident_scores == fresh_scores and len(fresh_scores) == 4
    for seed in (0, 1):
        run = f'final/lr0.5_wd0.001_seed{seed}'
        if resident['best']['base_lr'] != 0.5:
            run = run.replace('0.5', '0.05')
        deltas = [load_file(str(task / which / 'cub' / run /
                                'iter_6.delta.safetensors'))
                  for which in ('fresh', 'resident')]
        assert deltas[0].keys() == deltas[1].keys()
        for key in deltas[0]:
            assert deltas[0][key].equal(deltas[1][key]), (run, key)
    # each run's log holds its own run only, and says where it ran
    for run in resident['tune']['runs']:
        run_dir = task / 'resident' / 'cub' / 'tune' / run['name']
        log = (run_dir / 'sweep.log').read_text()
        assert '# in a resident worker' in log
        assert f"work_dir = 'resident/cub/tune/{run['name']}'" in log
        assert log.count("work_dir = '") == 1
    assert '# in a resident worker' not in (
        task / 'fresh' / 'cub' / 'tune' / 'lr0.5_wd0.001_seed0' /
        'sweep.log').read_text()


def test_a_failed_run_gets_a_fresh_worker_for_the_next(task):
    """The grid's first run fails in its worker (it resumes from a
    checkpoint that is not one); with --keep-going the second trains in a
    fresh worker and succeeds."""
    from vpt_mm.sweep import load_task, tune_runs
    spec = load_task(str(task / 'toy_cub.py'), str(task / 'bad'),
                     seeds=[0])
    first = tune_runs(spec)[0]
    os.makedirs(first.work_dir)
    with open(os.path.join(first.work_dir, 'sweep_run.json'), 'w') as f:
        json.dump(dict(command=[], cfg_options=first.cfg_options), f)
    with open(os.path.join(first.work_dir, 'iter_3.pth'), 'wb') as f:
        f.write(b'not a checkpoint')
    with open(os.path.join(first.work_dir, 'last_checkpoint'), 'w') as f:
        f.write(os.path.join(first.work_dir, 'iter_3.pth'))
    status, output = sweep(task, 'bad', '--num-seeds', '1', '--keep-going')
    assert status == 1, output[-4000:]
    assert output.count('FAILED') == 1, output[-4000:]
    assert f'{first.label}: FAILED' in output
    results = json.loads((task / 'bad' / 'cub' / 'results.json').read_text())
    scored = [run['name'] for run in results['tune']['runs']
              if run['top1'] is not None]
    assert scored == ['lr0.05_wd0.001_seed0'] != [first.name]
    log = open(os.path.join(first.work_dir, 'sweep.log')).read()
    assert '# in a resident worker' in log and 'iter_3.pth' in log
