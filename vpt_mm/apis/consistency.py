"""Checks across a config's dicts that no single module can make: the
head's ``num_classes`` against its datasets' class counts.

Run by :func:`vpt_mm.apis.runner.load_config` (``train.py``, ``test.py``
and, through ``train.py``, every sweep run), so a mismatch is one line
naming both fields before anything is built, not an ``IndexError: Target 3
is out of bounds`` at the first step or wrong accuracies at the end.
"""
from typing import Mapping, Optional

from ..tasks import FGVC_SETS, VTAB_TASKS

#: Class counts of datasets whose dict does not say it.
FIXED_CLASSES = {'CIFAR100LT': 100, 'CIFAR100': 100, 'CIFAR10': 10}


def _type_name(dataset: Mapping) -> str:
    kind = dataset.get('type', '')
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.rsplit('.', 1)[-1]


def dataset_num_classes(dataset) -> Optional[int]:
    """The class count a dataset dict builds, or None if the dict does not
    tell (a dataset type this check does not know).

    Dataset wrappers (``dataset=``) are followed.
    """
    if not isinstance(dataset, Mapping):
        return None
    if isinstance(dataset.get('dataset'), Mapping):
        return dataset_num_classes(dataset['dataset'])
    kind = _type_name(dataset)
    if isinstance(dataset.get('num_classes'), int):
        return dataset['num_classes']
    if kind == 'FGVCDataset' and dataset.get('name') in FGVC_SETS:
        return FGVC_SETS[dataset['name']][1]
    if kind == 'VTAB1kDataset' and dataset.get('task') in VTAB_TASKS:
        return VTAB_TASKS[dataset['task']][0]
    if kind in FIXED_CLASSES:
        return FIXED_CLASSES[kind]
    metainfo = dataset.get('metainfo')
    classes = dataset.get('classes') or (
        metainfo.get('classes') if isinstance(metainfo, Mapping) else None)
    if isinstance(classes, (list, tuple)):
        return len(classes)
    return None


def check_num_classes(cfg) -> None:
    """The classifier head's ``num_classes`` equals the class count of every
    dataloader's dataset that tells its count.

    Raises:
        ValueError: One line naming ``model.head.num_classes`` and the
            dataloader's dataset, with both counts.
    """
    model = cfg.get('model')
    head = model.get('head') if isinstance(model, Mapping) else None
    classes = head.get('num_classes') if isinstance(head, Mapping) else None
    if not isinstance(classes, int):
        return
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, Mapping):
            continue
        dataset = loader.get('dataset')
        count = dataset_num_classes(dataset)
        if count is not None and count != classes:
            raise ValueError(
                f'model.head.num_classes is {classes} but '
                f'{split}_dataloader.dataset ({_type_name(dataset)}) has '
                f'{count} classes; set the top-level num_classes once (or '
                'both fields)')
