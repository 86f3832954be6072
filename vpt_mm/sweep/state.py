"""What a sweep keeps on disk: the files of a run dir and a task dir,
written atomically, and the state of a run they tell."""
import json
import math
import os.path as osp
from typing import Optional

from vpt_mm.checkpoint.atomic import atomic_path
from vpt_mm.checkpoint.names import DELTA_FILE_SUFFIX
from .spec import Run

RESULT_FILE = 'sweep_result.json'  # in a run dir: the run finished
START_FILE = 'sweep_run.json'  # in a run dir: how the run was started
LOG_FILE = 'sweep.log'  # in a run dir: the training process's output
TASK_RESULTS = 'results.json'  # in a task dir
GRID_PLOT = 'grid.png'  # in a task dir


def is_checkpoint_file(name: str) -> bool:
    """Whether a file of a run's work dir is one of its checkpoints, which
    ``keep_checkpoints`` deletes: mmengine's (``*.pth``,
    ``last_checkpoint``) and the deltas that ``DeltaCheckpointHook``
    writes next to them (``*.delta.safetensors``, ``last_delta``)."""
    return name.endswith(('.pth', DELTA_FILE_SUFFIX)) or name in (
        'last_checkpoint', 'last_delta')


def read_json(path: str) -> Optional[dict]:
    """The JSON object in ``path``; ``None`` if it is missing, does not
    parse or is not an object."""
    try:
        with open(path) as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: str, data: dict) -> None:
    """Write atomically: a killed sweep never leaves half a file."""
    with atomic_path(path) as tmp, open(tmp, 'w') as file:
        json.dump(data, file, indent=2)
        file.write('\n')


def is_score(value) -> bool:
    """Whether ``value`` can be a score: a finite number in [0, 100]."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= 100)


def read_result(run: Run) -> Optional[dict]:
    """The run's ``sweep_result.json`` if it finished with a score that
    can be one (see :func:`is_score`), else ``None``: a file that does
    not parse or holds another score is not trusted."""
    result = read_json(osp.join(run.work_dir, RESULT_FILE))
    if result is None or not is_score(result.get('top1')):
        return None
    return result


def run_state(run: Run) -> str:
    """``'done'`` (finished: has its result file), ``'partial'`` (its dir
    exists but it did not finish: killed or failed; it runs again) or
    ``'pending'`` (never started)."""
    if read_result(run) is not None:
        return 'done'
    if osp.isdir(run.work_dir):
        return 'partial'
    return 'pending'


def can_resume(run: Run) -> bool:
    """Whether an unfinished run can continue from its checkpoint: it has
    one and was started with the same options."""
    started = read_json(osp.join(run.work_dir, START_FILE))
    return (osp.isfile(osp.join(run.work_dir, 'last_checkpoint'))
            and started is not None
            and started.get('cfg_options') == run.cfg_options)
