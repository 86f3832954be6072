from .cifar_lt import CIFAR100LT, long_tail_counts
from .fgvc import FGVC_SETS, FGVCDataset
from .vtab import VTAB_TASKS, VTAB1kDataset

__all__ = [
    'FGVCDataset', 'FGVC_SETS', 'VTAB1kDataset', 'VTAB_TASKS', 'CIFAR100LT',
    'long_tail_counts'
]
