"""What a sweep trusts of a run's score: a finite number in [0, 100]
from the last epoch or iteration; a ``sweep_result.json`` holding
anything else is re-scored from the run's logs, never selected from."""
import os.path as osp
from typing import Optional, Tuple

from .errors import SweepError
from .scores import last_score
from .spec import Run, TaskSpec
from .state import RESULT_FILE, is_score, read_json, write_json


def check_score(score: dict, metric: str, spec: TaskSpec) -> None:
    """``SweepError`` unless ``score`` (see :func:`last_score`) is a
    finite number in [0, 100] logged at the spec's last epoch or
    iteration."""
    if not is_score(score['value']):
        raise SweepError(f'{metric} = {score["value"]} is not a finite '
                         f'number in [0, 100] ({score["file"]})')
    expected = spec.final_step
    if expected is not None and score['step'] != expected:
        raise SweepError(
            f'the last {metric} is from {spec.loop} {score["step"]}, not '
            f'the last {spec.loop} {expected} ({score["file"]})')


def rescore(run: Run, spec: TaskSpec,
            metric: str) -> Tuple[Optional[dict], Optional[str]]:
    """A run whose ``sweep_result.json`` holds no score that can be one
    (hand-edited, or written by another tool): its score read again from
    its logs, and the file rewritten.

    Returns:
        tuple: ``(result, note)``: the rewritten result, or ``None`` when
        there is no result file (the run never finished) or its logs have
        no final score (it trains again); ``note`` says which, ``None``
        without a result file.
    """
    stored = read_json(osp.join(run.work_dir, RESULT_FILE))
    if stored is None:
        return None, None
    held = stored.get('top1')
    score = last_score(run.work_dir, metric)
    try:
        if score is None:
            raise SweepError(f'no {metric} in its logs')
        check_score(score, metric, spec)
    except SweepError as error:
        return None, (f'its {RESULT_FILE} holds top-1 {held!r}, not a '
                      f'finite number in [0, 100], and it cannot be '
                      f're-scored ({error}): training it again')
    result = dict(stored, top1=score['value'], step=score['step'],
                  log=osp.relpath(score['file'], run.work_dir),
                  rescored_from=held)
    write_json(osp.join(run.work_dir, RESULT_FILE), result)
    return result, (f're-scored from its log: {run.eval_split} top-1 '
                    f'{score["value"]:.2f} (its {RESULT_FILE} held '
                    f'{held!r}, not a score)')
