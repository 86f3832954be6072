"""A run's score: the last validation metric in its mmengine logs."""
import json
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

METRIC = 'accuracy/top1'
_TIMESTAMP = re.compile(r'\d{8}_\d{6}')


def read_scalars(path: str, metric: str = METRIC) -> List[Tuple[float, int]]:
    """``(value, step)`` of every record of ``metric`` in an mmengine
    scalar log (one JSON object per line), in order. Lines that do not
    parse (the last one of a killed run) are skipped."""
    records = []
    with open(path) as file:
        for line in file:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(
                    record.get(metric), (int, float)):
                records.append(
                    (float(record[metric]), int(record.get('step', -1))))
    return records


def run_timestamps(work_dir: str) -> List[str]:
    """The ``<timestamp>`` folders mmengine made in a work dir, oldest
    first (one per start of the run)."""
    if not osp.isdir(work_dir):
        return []
    return sorted(name for name in os.listdir(work_dir)
                  if _TIMESTAMP.fullmatch(name)
                  and osp.isdir(osp.join(work_dir, name)))


def last_score(work_dir: str,
               metric: str = METRIC,
               stamps: Optional[Sequence[str]] = None) -> Optional[dict]:
    """The last ``metric`` a run logged: from its newest
    ``<timestamp>/vis_data/scalars.json`` (or the ``<timestamp>.json``
    beside it) that has one.

    Args:
        work_dir (str): The run's work dir.
        metric (str): The metric's key.
        stamps (Sequence[str], optional): Look only in these
            ``<timestamp>`` folders (e.g. the ones the latest attempt
            made); default all.

    Returns:
        dict | None: ``value``, ``step`` (the epoch, or the iteration
        under ``log_metric_by_epoch=False``; iteration-based loops log
        epoch 0 otherwise) and ``file``; ``None`` if no log has it.
    """
    if stamps is None:
        stamps = run_timestamps(work_dir)
    for stamp in sorted(stamps, reverse=True):
        folder = osp.join(work_dir, stamp)
        for path in (osp.join(folder, 'vis_data', 'scalars.json'),
                     osp.join(folder, 'vis_data', f'{stamp}.json'),
                     osp.join(folder, f'{stamp}.json')):
            if osp.isfile(path):
                records = read_scalars(path, metric)
                if records:
                    value, step = records[-1]
                    return dict(value=value, step=step, file=path)
    return None
