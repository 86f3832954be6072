from .. import compat

compat.apply()

from .cifar_lt import CIFAR100LT, long_tail_counts  # noqa: E402
from .fashion_scenes import FashionScenesDataset  # noqa: E402
from .fgvc import FGVC_SETS, FGVCDataset  # noqa: E402
from .vtab import VTAB_TASKS, VTAB1kDataset  # noqa: E402

__all__ = [
    'FashionScenesDataset', 'FGVCDataset', 'FGVC_SETS', 'VTAB1kDataset',
    'VTAB_TASKS', 'CIFAR100LT', 'long_tail_counts'
]
