"""The delta of a task's best final run, kept in a fixed place (what the
demo serves: ``work_dirs/demo/deltas/<method>.delta.safetensors``)."""
import os
import os.path as osp
import shutil

from vpt_mm.checkpoint.atomic import atomic_path
from vpt_mm.checkpoint.names import DELTA_FILE_SUFFIX
from .errors import SweepError
from .state import TASK_RESULTS, read_json


def run_delta(run_dir: str) -> str:
    """The delta a run wrote last: the one its ``last_delta`` names, or
    the newest ``*.delta.safetensors`` of the run dir.

    Raises:
        SweepError: The run dir holds no delta.
    """
    named = osp.join(run_dir, 'last_delta')
    if osp.isfile(named):
        with open(named) as file:
            path = file.read().strip()
        for candidate in (path, osp.join(run_dir, osp.basename(path))):
            if candidate and osp.isfile(candidate):
                return candidate
    deltas = [osp.join(run_dir, name) for name in os.listdir(run_dir)
              if name.endswith(DELTA_FILE_SUFFIX)] if osp.isdir(
                  run_dir) else []
    if not deltas:
        raise SweepError(f'{run_dir}: no *{DELTA_FILE_SUFFIX} (a Full run, '
                         'or its checkpoints were not kept)')
    return max(deltas, key=osp.getmtime)


def best_final_delta(task_dir: str) -> str:
    """The delta of the final run with the best test top-1 of a task dir
    (ties: the first seed).

    Raises:
        SweepError: No ``results.json``, no scored final run, or no delta.
    """
    results = read_json(osp.join(task_dir, TASK_RESULTS))
    if results is None:
        raise SweepError(f'{task_dir}: no {TASK_RESULTS}')
    runs = [run for run in (results.get('final') or {}).get('runs', [])
            if run.get('top1') is not None]
    if not runs:
        raise SweepError(f'{osp.join(task_dir, TASK_RESULTS)}: no scored '
                         'final run')
    best = max(runs, key=lambda run: run['top1'])  # first of equals
    return run_delta(osp.join(task_dir, best['work_dir']))


def copy_best_delta(task_dir: str, out: str) -> str:
    """Copy :func:`best_final_delta` of ``task_dir`` to ``out``
    (atomically); returns the source."""
    source = best_final_delta(task_dir)
    with atomic_path(out) as tmp:
        shutil.copyfile(source, tmp)
    return source
