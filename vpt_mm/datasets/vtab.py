"""VTAB-1k in the folder layout most PETL code uses."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.fileio import exists
from mmpretrain.datasets import BaseDataset

from vpt_mm.registry import register_dataset
from ..tasks import VTAB_TASKS
from .entries import NamedLoadErrors, image_path

# other folder names users have for the same task
VTAB_FOLDER_ALIASES: Dict[str, Tuple[str, ...]] = {
    'cifar100': ('cifar', ),
    'oxford_pet': ('oxford_iiit_pet', ),
}
VTAB_SPLITS = ('train800', 'val200', 'train800val200', 'test')


def find_task_folder(data_root: str, task: str) -> str:
    """The folder of ``task`` under ``data_root``, under its canonical name
    or one of its aliases (the canonical name first: when both exist, the
    alias folder is ignored)."""
    for name in (task, ) + VTAB_FOLDER_ALIASES.get(task, ()):
        folder = osp.join(data_root, name)
        if osp.isdir(folder):
            return folder
    names = [task] + list(VTAB_FOLDER_ALIASES.get(task, ()))
    raise FileNotFoundError(f'VTAB1kDataset({task}): none of the folders '
                            f'{names} exists under {data_root}')


@register_dataset
class VTAB1kDataset(NamedLoadErrors, BaseDataset):
    """One VTAB-1k task from ``<data_root>/<task>/<split>.txt``.

    Each line of a split file is ``<image path> <label>``, the path relative
    to the task folder and separated from the label by the last whitespace
    (paths may contain spaces); blank lines are skipped. Both folder-name
    variants users have are accepted
    (``cifar``/``cifar100``, ``oxford_iiit_pet``/``oxford_pet``).

    At build time a missing split file, a malformed line, a path that is
    absolute or leaves the task folder, a missing image or a label outside
    ``[0, num_classes)`` raises one error naming the file and line; an
    image that fails to load (e.g. 0 bytes) names them when loaded.
    Decoding every image is left to
    ``tools/misc/check_dataset.py`` (too slow for every start).

    Args:
        data_root (str): Folder holding the task folders.
        task (str): Canonical task name, a key of
            :data:`vpt_mm.tasks.VTAB_TASKS`, or the folder name of a new
            task in the same layout (then ``num_classes`` is required).
        split (str): ``train800``, ``val200``, ``train800val200`` or
            ``test``.
        num_classes (int, optional): Override the task's class count.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """

    def __init__(self,
                 data_root: str,
                 task: str,
                 split: str = 'train800',
                 num_classes: Optional[int] = None,
                 **kwargs) -> None:
        if task not in VTAB_TASKS and num_classes is None:
            raise ValueError(f'VTAB1kDataset: unknown task "{task}"; choose '
                             f'from {list(VTAB_TASKS)}, or give num_classes '
                             'for a task of your own in the same layout')
        if split not in VTAB_SPLITS:
            raise ValueError(f'VTAB1kDataset: unknown split "{split}"; '
                             f'choose from {list(VTAB_SPLITS)}')
        self.task = task
        self.split = split
        self.num_classes = VTAB_TASKS[task][0] if num_classes is None \
            else num_classes
        if isinstance(self.num_classes, bool) or \
                not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise ValueError('VTAB1kDataset: num_classes must be a positive '
                             f'int, got {self.num_classes!r}')
        self.task_folder = find_task_folder(data_root, task)
        classes = [str(index) for index in range(self.num_classes)]
        # relative to data_root: BaseDataset joins data_root to it
        super().__init__(
            ann_file=osp.join(
                osp.basename(self.task_folder), f'{split}.txt'),
            data_root=data_root,
            classes=classes,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        split_file = self.ann_file
        if not exists(split_file):
            raise FileNotFoundError(
                f'VTAB1kDataset({self.task}): split file {split_file} '
                'does not exist')
        data_list = []
        with open(split_file) as file:
            for line_number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                where = f'{split_file}:{line_number}'
                fields = line.strip().rsplit(maxsplit=1)
                path, label = fields if len(fields) == 2 else ('', '')
                try:
                    label = int(label)
                except ValueError:
                    label = None
                if not path or label is None:
                    raise ValueError(f'{where}: expected "<image path> '
                                     f'<int label>", got {line.strip()!r}')
                if not 0 <= label < self.num_classes:
                    raise ValueError(f'{where}: label {label} outside '
                                     f'[0, {self.num_classes})')
                img_path = image_path(where, path, self.task_folder)
                if not exists(img_path):
                    raise FileNotFoundError(
                        f'{where}: image {img_path} does not exist')
                data_list.append(
                    dict(img_path=img_path, gt_label=label, source=where))
        if not data_list:
            raise ValueError(f'{split_file}: no "<image path> <int label>" '
                             'line')
        return data_list
