"""Readers of the FGVC sets' original archives.

Each reader takes the folder an archive was extracted to and returns
``{split: {image path: original class id}}`` with ``train`` and ``test``
(and ``val`` where the set has one), paths relative to the set's image
folder (:data:`vpt_mm.tasks.FGVC_SETS`), class ids as the archive has them.
"""
import os.path as osp
from typing import Dict, List, Optional

Splits = Dict[str, Dict[str, int]]


def _need(path: str) -> str:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist (is this the '
                                'folder the archive was extracted to?)')
    return path


def _table(path: str, columns: int = 2) -> Dict[str, List[str]]:
    """``{first field: other fields}`` of a whitespace-separated file."""
    rows = {}
    with open(_need(path)) as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            fields = line.split(maxsplit=columns - 1)
            if len(fields) != columns:
                raise ValueError(f'{path}:{number}: expected {columns} '
                                 f'fields, got {line.strip()!r}')
            rows[fields[0]] = [field.strip() for field in fields[1:]]
    return rows


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f'{where}: expected an integer, got {value!r}')


def read_cub_like(root: str) -> Splits:
    """CUB-200-2011 and NABirds: ``images.txt`` (id, path under
    ``images/``), ``image_class_labels.txt`` (id, class id) and
    ``train_test_split.txt`` (id, 1 for train / 0 for test)."""
    images = _table(osp.join(root, 'images.txt'))
    labels_file = osp.join(root, 'image_class_labels.txt')
    labels = _table(labels_file)
    split_file = osp.join(root, 'train_test_split.txt')
    is_train = _table(split_file)
    splits: Splits = dict(train={}, test={})
    for image_id, (path, ) in images.items():
        for table, name in ((labels, labels_file), (is_train, split_file)):
            if image_id not in table:
                raise ValueError(f'{name}: no line for image id {image_id} '
                                 'of images.txt')
        label = _int(labels[image_id][0], f'{labels_file}: {image_id}')
        flag = is_train[image_id][0]
        if flag not in ('0', '1'):
            raise ValueError(f'{split_file}: image id {image_id} has '
                             f'{flag!r}, expected 1 (train) or 0 (test)')
        splits['train' if flag == '1' else 'test'][path] = label
    return splits


def _loadmat(path: str) -> dict:
    from scipy.io import loadmat
    return loadmat(_need(path), squeeze_me=True, struct_as_record=False)


def _vector(mat: dict, key: str, path: str):
    import numpy as np
    if key not in mat:
        raise KeyError(f'{path}: no variable "{key}"')
    return np.atleast_1d(mat[key])


def read_flowers(root: str) -> Splits:
    """Oxford Flowers: ``imagelabels.mat`` (``labels``, class of image
    ``jpg/image_<i:05d>.jpg``) and ``setid.mat`` (``trnid``, ``valid``,
    ``tstid``: 1-based image numbers)."""
    label_path = osp.join(root, 'imagelabels.mat')
    labels = _vector(_loadmat(label_path), 'labels', label_path)
    set_path = osp.join(root, 'setid.mat')
    setid = _loadmat(set_path)
    splits: Splits = {}
    for split, key in (('train', 'trnid'), ('val', 'valid'),
                       ('test', 'tstid')):
        splits[split] = {}
        for number in _vector(setid, key, set_path):
            number = int(number)
            if not 1 <= number <= len(labels):
                raise ValueError(f'{set_path}: {key} lists image {number}, '
                                 f'{label_path} has {len(labels)} labels')
            splits[split][f'jpg/image_{number:05d}.jpg'] = int(
                labels[number - 1])
    return splits


def read_dogs(root: str) -> Splits:
    """Stanford Dogs: ``train_list.mat`` and ``test_list.mat``
    (``file_list``, paths under ``Images/``; ``labels``, 1-based)."""
    splits: Splits = {}
    for split in ('train', 'test'):
        path = osp.join(root, f'{split}_list.mat')
        mat = _loadmat(path)
        files = _vector(mat, 'file_list', path)
        labels = _vector(mat, 'labels', path)
        if len(files) != len(labels):
            raise ValueError(f'{path}: {len(files)} files but '
                             f'{len(labels)} labels')
        splits[split] = {
            str(file): int(label)
            for file, label in zip(files, labels)
        }
    return splits


def _find(root: str, names: List[str]) -> Optional[str]:
    for name in names:
        for folder in ('', 'devkit'):
            path = osp.join(root, folder, name)
            if osp.isfile(path):
                return path
    return None


def read_cars(root: str) -> Splits:
    """Stanford Cars, either layout of its archive: ``cars_annos.mat``
    (``annotations`` with ``relative_im_path``, ``class`` and ``test``;
    images in ``car_ims/``), or the devkit's ``cars_train_annos.mat`` with
    ``cars_test_annos_withlabels.mat`` (``annotations`` with ``fname`` and
    ``class``; images in ``cars_train/`` and ``cars_test/``), in the root
    or its ``devkit/`` folder."""
    combined = _find(root, ['cars_annos.mat'])
    if combined is not None:
        splits: Splits = dict(train={}, test={})
        for note in _vector(_loadmat(combined), 'annotations', combined):
            split = 'test' if int(note.test) else 'train'
            splits[split][str(note.relative_im_path)] = int(
                getattr(note, 'class'))
        return splits
    files = dict(train=['cars_train_annos.mat'],
                 test=['cars_test_annos_withlabels.mat'])
    splits = {}
    for split, names in files.items():
        path = _find(root, names)
        if path is None:
            raise FileNotFoundError(
                f'{root}: neither cars_annos.mat nor {names[0]} (in the '
                'root or devkit/) exists')
        splits[split] = {
            f'cars_{split}/{note.fname}': int(getattr(note, 'class'))
            for note in _vector(_loadmat(path), 'annotations', path)
        }
    return splits
