"""A task's ``results.json``: its grid, selection and final runs."""
import os.path as osp
from typing import Mapping, Optional, Sequence, Tuple

from .errors import SweepError
from .scores import METRIC
from .select import grid_means, mean_std
from .spec import Run, TaskSpec
from .state import TASK_RESULTS, read_json


def _run_record(spec: TaskSpec, run: Run, result: Optional[dict]) -> dict:
    record = dict(
        name=run.name,
        base_lr=run.base_lr,
        weight_decay=run.weight_decay,
        seed=run.seed,
        train_split=run.train_split,
        eval_split=run.eval_split,
        top1=None if result is None else result['top1'],
        work_dir=osp.relpath(run.work_dir, spec.work_dir))
    if run.num_tokens is not None:
        record['num_tokens'] = run.num_tokens
    return record


def _grid_values(spec: TaskSpec, means: Mapping[tuple, Optional[float]]
                 ) -> list:
    """``means`` nested as ``[i][j]`` (``base_lr[i]``,
    ``weight_decay[j]``), or ``[i][j][k]`` with ``num_tokens[k]``."""
    if spec.num_tokens is None:
        return [[means[(lr, wd)] for wd in spec.wds] for lr in spec.lrs]
    return [[[means[(lr, wd, p)] for p in spec.num_tokens]
             for wd in spec.wds] for lr in spec.lrs]


def task_results(spec: TaskSpec,
                 tune: Sequence[Tuple[Run, Optional[dict]]],
                 best: Optional[Tuple[float, float]] = None,
                 final: Sequence[Tuple[Run, Optional[dict]]] = (),
                 metric: str = METRIC) -> dict:
    """The content of ``<task dir>/results.json``.

    Args:
        spec (TaskSpec): The task.
        tune: ``(run, result or None)`` of the grid's runs.
        best: The selected ``(base_lr, weight_decay[, num_tokens])``, once
            selected.
        final: ``(run, result or None)`` of the final runs.
        metric (str): The metric read from the logs.
    """
    scores = {run.name: result['top1'] for run, result in tune if result}
    means = grid_means(spec, scores)
    final_scores = [result['top1'] for _, result in final if result]
    complete = best is not None and len(final) == len(spec.seeds) and len(
        final_scores) == len(spec.seeds)
    tune_record = dict(
        train_split=spec.protocol['tune']['train'],
        val_split=spec.protocol['tune']['val'],
        seeds=spec.tune_seeds,
        base_lr=spec.lrs,
        weight_decay=spec.wds)
    if spec.num_tokens is not None:
        tune_record['num_tokens'] = spec.num_tokens
    tune_record.update(
        # val_top1[i][j]: base_lr[i], weight_decay[j] (and [k]:
        # num_tokens[k] with a prompt length axis); mean over seeds
        val_top1=_grid_values(spec, means),
        runs=[_run_record(spec, run, result) for run, result in tune])
    best_record = None
    if best is not None:
        best_record = dict(base_lr=best[0], weight_decay=best[1])
        tie_rule = ('best mean val top-1; ties: smaller base lr, then '
                    'larger weight decay')
        if len(best) > 2:
            best_record['num_tokens'] = best[2]
            tie_rule += ', then shorter prompt'
        best_record.update(val_top1=means[tuple(best)], tie_rule=tie_rule)
    results = dict(
        task=spec.task,
        benchmark=spec.benchmark,
        config=spec.config,
        metric=metric,
        protocol=spec.protocol,
        cfg_options=spec.cfg_options,
        status='complete' if complete else
        ('final' if best is not None else 'tune'),
        tune=tune_record,
        best=best_record,
        final=dict(
            train_split=spec.protocol['final']['train'],
            test_split=spec.protocol['final']['test'],
            seeds=spec.seeds,
            runs=[_run_record(spec, run, result) for run, result in final],
            test_top1_mean=None,
            test_top1_std=None))
    if complete:
        mean, std = mean_std(final_scores)
        results['final'].update(test_top1_mean=mean, test_top1_std=std)
    return results


def check_task_dir(spec: TaskSpec) -> None:
    """Refuse a task dir that holds another config's sweep (two configs
    with the same ``task_name`` in one sweep dir)."""
    results = read_json(osp.join(spec.work_dir, TASK_RESULTS))
    if results is None:
        return
    theirs = osp.basename(str(results.get('config', '')))
    if theirs and theirs != osp.basename(spec.config):
        raise SweepError(
            f'{spec.work_dir} holds the sweep of {theirs}, not of '
            f'{osp.basename(spec.config)}; give this config another '
            '--work-dir (one sweep dir per method)')
