"""The delta of a task's best final run, copied to a fixed place (what
the demo serves)."""
import json
import os

import pytest

from vpt_mm.sweep.best_delta import best_final_delta, copy_best_delta
from vpt_mm.sweep.errors import SweepError


def write_task(task_dir, top1s, last_delta=True):
    runs = []
    for seed, top1 in enumerate(top1s):
        work = f'final/seed{seed}'
        run_dir = os.path.join(task_dir, work)
        os.makedirs(run_dir)
        delta = os.path.join(run_dir, 'epoch_20.delta.safetensors')
        with open(delta, 'wb') as file:
            file.write(f'seed {seed}'.encode())
        if last_delta:
            with open(os.path.join(run_dir, 'last_delta'), 'w') as file:
                file.write(delta)
        runs.append(dict(name=f'seed{seed}', seed=seed, top1=top1,
                         work_dir=work))
    with open(os.path.join(task_dir, 'results.json'), 'w') as file:
        json.dump(dict(task='digits', final=dict(runs=runs)), file)


@pytest.mark.parametrize('last_delta', [True, False])
def test_the_best_seed_runs_delta_is_copied(tmp_path, last_delta):
    task = str(tmp_path / 'digits')
    write_task(task, [71.0, 74.5, 74.5], last_delta)
    assert best_final_delta(task).endswith('seed1/epoch_20.delta.'
                                           'safetensors')
    out = str(tmp_path / 'deltas' / 'vpt-deep.delta.safetensors')
    copy_best_delta(task, out)
    with open(out, 'rb') as file:
        assert file.read() == b'seed 1'


def test_missing_results_or_deltas_are_one_line_errors(tmp_path):
    with pytest.raises(SweepError, match='no results.json'):
        best_final_delta(str(tmp_path))
    task = str(tmp_path / 'digits')
    write_task(task, [None])
    with pytest.raises(SweepError, match='no scored final run'):
        best_final_delta(task)
    full = str(tmp_path / 'full')
    write_task(full, [70.0])
    os.remove(os.path.join(full, 'final/seed0/epoch_20.delta.safetensors'))
    with pytest.raises(SweepError, match='no \\*.delta.safetensors'):
        best_final_delta(full)
