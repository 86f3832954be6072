"""VTAB-1k task folders: the widely shared image-folder release checked
(and normalised), and the writer the TFDS path uses.

A task folder is ``<root>/<task>/`` with ``train800.txt``, ``val200.txt``,
``train800val200.txt`` and ``test.txt`` (``<image path> <label>`` lines,
paths relative to the task folder), as :class:`vpt_mm.datasets.
VTAB1kDataset` reads it. Sizes are compared with the paper's Tab. 7.
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

from ..tasks import VTAB_TASKS, split_size_differences

VTAB_SPLITS = ('train800', 'val200', 'train800val200', 'test')
# other folder names of the same task in shared releases
FOLDER_ALIASES: Dict[str, Tuple[str, ...]] = {
    'cifar100': ('cifar', ),
    'oxford_pet': ('oxford_iiit_pet', ),
}


class TaskReport(NamedTuple):
    """What a task folder holds.

    Attributes:
        task (str): The canonical task name.
        folder (str): Its folder.
        sizes (dict): Lines per split file (absent files are left out).
        num_classes (int): Distinct labels over all split files.
        differences (list[str]): Missing split files, sizes and class count
            that differ from the paper's Tab. 7, one line each.
    """

    task: str
    folder: str
    sizes: Dict[str, int]
    num_classes: int
    differences: List[str]


def _read_split(path: str) -> List[Tuple[str, int]]:
    entries = []
    with open(path) as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            fields = line.strip().rsplit(maxsplit=1)
            try:
                entries.append((fields[0], int(fields[1])))
            except (IndexError, ValueError):
                raise ValueError(f'{path}:{number}: expected "<image path> '
                                 f'<int label>", got {line.strip()!r}')
    return entries


def task_folder(root: str, task: str) -> Optional[str]:
    """The folder of ``task`` under ``root`` (canonical name first, then
    its aliases), or ``None``."""
    for name in (task, ) + FOLDER_ALIASES.get(task, ()):
        if osp.isdir(osp.join(root, name)):
            return osp.join(root, name)
    return None


def check_task(root: str, task: str, check_images: bool = False
               ) -> TaskReport:
    """Count the split files of one task folder and compare them with the
    paper's Tab. 7 (and, when asked, check that every image exists)."""
    folder = task_folder(root, task)
    if folder is None:
        raise FileNotFoundError(f'vtab1k {task}: no folder {task} under '
                                f'{root}')
    sizes, labels, differences = {}, set(), []
    for split in VTAB_SPLITS:
        path = osp.join(folder, f'{split}.txt')
        if not osp.isfile(path):
            differences.append(f'vtab1k {task}: split file {path} is '
                               'missing')
            continue
        entries = _read_split(path)
        sizes[split] = len(entries)
        labels.update(label for _, label in entries)
        if check_images:
            missing = [p for p, _ in entries
                       if not osp.isfile(osp.join(folder, p))]
            if missing:
                differences.append(
                    f'vtab1k {task}: {path} lists {len(missing)} missing '
                    f'image(s), the first {missing[0]}')
    differences += split_size_differences('vtab1k', task, sizes)
    expected = VTAB_TASKS[task][0]
    if labels and (len(labels) > expected or max(labels) >= expected):
        differences.append(
            f'vtab1k {task}: labels {sorted(labels)[:3]}... ({len(labels)} '
            f'distinct), the paper (Tab. 7) has {expected} classes')
    return TaskReport(task, folder, sizes, len(labels), differences)


def normalise_release(root: str) -> List[str]:
    """Bring a shared VTAB-1k release to the canonical layout in place:
    rename alias task folders (``cifar`` -> ``cifar100``, ``oxford_iiit_pet``
    -> ``oxford_pet``) and write a missing ``train800val200.txt`` from
    ``train800.txt`` and ``val200.txt``. Returns what was done, one line
    each."""
    done = []
    for task, aliases in FOLDER_ALIASES.items():
        for alias in aliases:
            source = osp.join(root, alias)
            target = osp.join(root, task)
            if osp.isdir(source) and not osp.exists(target):
                os.rename(source, target)
                done.append(f'renamed {source} to {target}')
    for task in VTAB_TASKS:
        folder = osp.join(root, task)
        joined = osp.join(folder, 'train800val200.txt')
        parts = [osp.join(folder, f'{s}.txt') for s in ('train800',
                                                         'val200')]
        if osp.isdir(folder) and not osp.exists(joined) and all(
                osp.isfile(p) for p in parts):
            with open(joined, 'w') as out:
                for part in parts:
                    for path, label in _read_split(part):
                        out.write(f'{path} {label}\n')
            done.append(f'wrote {joined} from train800.txt and val200.txt')
    return done


def write_task(root: str, task: str,
               splits: Dict[str, Iterable[Tuple[object, int]]],
               extension: str = '.png') -> Dict[str, int]:
    """Write one task folder from ``{split: (image, label) pairs}`` with
    ``train800``, ``val200`` and ``test`` (images as HWC uint8 RGB arrays);
    ``train800val200.txt`` joins the first two. Returns lines per split.
    """
    import cv2
    folder = osp.join(root, task)
    sizes = {}
    lines: Dict[str, List[str]] = {}
    for split in ('train800', 'val200', 'test'):
        if split not in splits:
            raise KeyError(f'vtab1k {task}: no {split} split given')
        os.makedirs(osp.join(folder, 'images', split), exist_ok=True)
        lines[split] = []
        for index, (image, label) in enumerate(splits[split]):
            path = f'images/{split}/{index:06d}{extension}'
            if image.ndim == 3 and image.shape[2] == 1:
                image = image[..., 0]
            if image.ndim == 3:
                image = image[..., ::-1]  # RGB -> OpenCV's BGR
            if not cv2.imwrite(osp.join(folder, path), image):
                raise OSError(f'cannot write {osp.join(folder, path)}')
            lines[split].append(f'{path} {int(label)}')
    lines['train800val200'] = lines['train800'] + lines['val200']
    for split, split_lines in lines.items():
        with open(osp.join(folder, f'{split}.txt'), 'w') as file:
            file.write(''.join(line + '\n' for line in split_lines))
        sizes[split] = len(split_lines)
    return sizes
