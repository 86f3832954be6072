"""The served tasks: a base config (the backbone) and delta files.

A task folder holds ``<task>.delta.safetensors`` files; each task's name
is its file's name without the ending, its config the one its run
recorded in the delta (``config_text``), or ``<task>.py`` next to it.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.config import Config

from vpt_mm.checkpoint.names import DELTA_FILE_SUFFIX
from vpt_mm.models.multitask import MultiTaskClassifier


def task_files(sources: Sequence[str]) -> Dict[str, str]:
    """``{task name: delta file}`` of folders, delta files and
    ``NAME=FILE`` pairs.

    Raises:
        FileNotFoundError: One line naming the missing path.
        ValueError: A name given twice or no task at all.
    """
    found: Dict[str, str] = {}

    def add(name: str, path: str) -> None:
        if name in found:
            raise ValueError(f'task {name!r} given twice: {found[name]} and '
                             f'{path}')
        found[name] = path

    for source in sources:
        name, _, path = source.rpartition('=') if '=' in source else (
            None, None, source)
        if osp.isdir(path) and name is None:
            files = sorted(f for f in os.listdir(path)
                           if f.endswith(DELTA_FILE_SUFFIX))
            if not files:
                raise FileNotFoundError(
                    f'tasks: no *{DELTA_FILE_SUFFIX} in the folder {path}')
            for file in files:
                add(file[:-len(DELTA_FILE_SUFFIX)], osp.join(path, file))
        elif osp.isfile(path):
            base = osp.basename(path)
            if name is None:
                if not base.endswith(DELTA_FILE_SUFFIX):
                    raise ValueError(f'tasks: {path} is not a '
                                     f'*{DELTA_FILE_SUFFIX} file')
                name = base[:-len(DELTA_FILE_SUFFIX)]
            add(name, path)
        else:
            raise FileNotFoundError(f'tasks: no file or folder at {path}')
    if not found:
        raise ValueError('tasks: none given')
    return found


def load_tasks(base_cfg: Config,
               sources: Sequence[str],
               device: Optional[str] = None,
               allow_other_backbone: bool = False) -> MultiTaskClassifier:
    """The backbone of ``base_cfg`` with the tasks of ``sources`` (see
    :func:`task_files`) on ``device`` (default CPU)."""
    model = MultiTaskClassifier(base_cfg, allow_other_backbone)
    for name, path in task_files(sources).items():
        config = path[:-len(DELTA_FILE_SUFFIX)] + '.py'
        cfg = Config.fromfile(config) if osp.isfile(config) else None
        model.add_task(name, path, cfg)
    return model.to(device or 'cpu')
