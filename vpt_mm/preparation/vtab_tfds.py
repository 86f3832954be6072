"""VTAB-1k from TensorFlow Datasets, sliced as the VTAB protocol does.

VTAB-1k takes ``train800`` from the first 800 examples of a task's train
part and ``val200`` from the first 200 of its validation part; where TFDS
has no validation split, VTAB carves train and validation out of TFDS'
train split by fixed percentages (and the test split too, for EuroSAT,
Resisc45 and dSprites), which the slices below spell out. The structured
tasks derive their label from the example (:data:`LABELS`).
tensorflow_datasets is an optional dependency, imported when used.
"""
from typing import Callable, Dict, Iterator, NamedTuple, Optional, Tuple

import numpy as np

from .vtab import write_task


class TfdsTask(NamedTuple):
    """Where one VTAB-1k task lives in TFDS."""

    builder: str
    train800: str
    val200: str
    test: str
    label: str = 'label'


def _clevr_count(example: dict) -> int:
    return len(example['objects']['size']) - 3


def _clevr_dist(example: dict) -> int:
    # distance of the closest object, binned (6 classes)
    dist = np.min(example['objects']['pixel_coords'][:, 2])
    bins = np.array([0.0, 8.0, 8.5, 9.0, 9.5, 10.0, 100.0])
    return int(np.max(np.nonzero(bins - dist < 0)[0]))


def _kitti_dist(example: dict) -> int:
    # distance of the closest car, van or truck, binned; 3: no vehicle
    objects = example['objects']
    z = objects['location'][:, 2][objects['type'] < 3]
    dist = np.min(np.concatenate([z, [1000.0]]))
    bins = np.array([-100.0, 8.0, 20.0, 999.0])
    return int(np.max(np.nonzero(bins - dist < 0)[0]))


def _binned(key: str, values: int, classes: int) -> Callable[[dict], int]:
    def label(example: dict) -> int:
        return int(example[key]) * classes // values

    return label


# task: a function of the TFDS example giving the VTAB label, or the key
LABELS: Dict[str, Callable[[dict], int]] = {
    'clevr_count': _clevr_count,
    'clevr_dist': _clevr_dist,
    'kitti': _kitti_dist,
    'dsprites_loc': _binned('label_x_position', 32, 16),
    'dsprites_ori': _binned('label_orientation', 40, 16),
}

_DSPRITES = ('dsprites:2.*.*', 'train[:800]', 'train[589824:590024]',
             'train[663552:]')
_SMALLNORB = ('smallnorb:2.*.*', 'train[:800]', 'test[:200]',
              'test[12150:]')
TFDS_TASKS: Dict[str, TfdsTask] = {
    'cifar100': TfdsTask('cifar100:3.*.*', 'train[:800]',
                         'train[45000:45200]', 'test'),
    'caltech101': TfdsTask('caltech101:3.*.*', 'train[:800]',
                           'train[2754:2954]', 'test'),
    'dtd': TfdsTask('dtd:3.*.*', 'train[:800]', 'validation[:200]', 'test'),
    'oxford_flowers102': TfdsTask('oxford_flowers102:2.*.*', 'train[:800]',
                                  'validation[:200]', 'test'),
    'oxford_pet': TfdsTask('oxford_iiit_pet:3.*.*', 'train[:800]',
                           'train[2944:3144]', 'test'),
    'svhn': TfdsTask('svhn_cropped:3.*.*', 'train[:800]',
                     'train[65931:66131]', 'test'),
    'sun397': TfdsTask('sun397/tfds:4.*.*', 'train[:800]',
                       'validation[:200]', 'test'),
    'patch_camelyon': TfdsTask('patch_camelyon:2.*.*', 'train[:800]',
                               'validation[:200]', 'test'),
    'eurosat': TfdsTask('eurosat/rgb:2.*.*', 'train[:800]',
                        'train[16200:16400]', 'train[21600:]'),
    'resisc45': TfdsTask('resisc45:3.*.*', 'train[:800]',
                         'train[18900:19100]', 'train[25200:]'),
    'diabetic_retinopathy': TfdsTask(
        'diabetic_retinopathy_detection/btgraham-300:3.*.*', 'train[:800]',
        'validation[:200]', 'test'),
    'clevr_count': TfdsTask('clevr:3.*.*', 'train[:800]',
                            'train[63000:63200]', 'validation', ''),
    'clevr_dist': TfdsTask('clevr:3.*.*', 'train[:800]',
                           'train[63000:63200]', 'validation', ''),
    'dmlab': TfdsTask('dmlab:2.0.1', 'train[:800]', 'validation[:200]',
                      'test'),
    'kitti': TfdsTask('kitti:3.*.*', 'train[:800]', 'validation[:200]',
                      'test', ''),
    'dsprites_loc': TfdsTask(*_DSPRITES, ''),
    'dsprites_ori': TfdsTask(*_DSPRITES, ''),
    'smallnorb_azi': TfdsTask(*_SMALLNORB, 'label_azimuth'),
    'smallnorb_ele': TfdsTask(*_SMALLNORB, 'label_elevation'),
}


def vtab_label(task: str, example: dict) -> int:
    """The VTAB-1k label of one TFDS example (as numpy) of ``task``."""
    if task in LABELS:
        return LABELS[task](example)
    return int(example[TFDS_TASKS[task].label])


def _examples(task: str, split: str, data_dir: Optional[str],
              download: bool) -> Iterator[Tuple[np.ndarray, int]]:
    import tensorflow_datasets as tfds
    spec = TFDS_TASKS[task]
    dataset = tfds.load(spec.builder, split=getattr(spec, split),
                        data_dir=data_dir, download=download,
                        shuffle_files=False)
    for example in tfds.as_numpy(dataset):
        yield np.asarray(example['image']), vtab_label(task, example)


def prepare_vtab_tfds(task: str, out_root: str,
                      data_dir: Optional[str] = None,
                      download: bool = False) -> Dict[str, int]:
    """Write one VTAB-1k task folder under ``out_root`` from TFDS (images
    as PNG). ``download=False`` (the default) reads what ``data_dir``
    already holds: no network at run time unless asked. Returns lines per
    split file."""
    if task not in TFDS_TASKS:
        raise ValueError(f'unknown VTAB-1k task "{task}"; choose from '
                         f'{list(TFDS_TASKS)}')
    splits = {
        split: _examples(task, split, data_dir, download)
        for split in ('train800', 'val200', 'test')
    }
    return write_task(out_root, task, splits)
