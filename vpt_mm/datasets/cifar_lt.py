"""CIFAR-100-LT: a long-tailed subset of CIFAR-100's training set."""
import math
import os.path as osp
from numbers import Real
from typing import Dict, List, Optional

import numpy as np
from mmpretrain.datasets import CIFAR100

from vpt_mm.registry import register_dataset
from .safe_pickle import UnsafePickleError, load_data_pickle

CIFAR100_LT_SPLITS = ('train', 'train_tune', 'val', 'test')


def long_tail_counts(num_max: int, num_classes: int,
                     imbalance_ratio: float) -> List[int]:
    """Images per class of the exponential long-tail profile.

    ``n_i = int(num_max * (1 / imbalance_ratio) ** (i / (num_classes - 1)))``
    for class ``i``: class 0 keeps ``num_max`` images, the last class
    ``num_max / imbalance_ratio`` (rounded down), as in the long-tail
    literature's CIFAR-LT (Cui et al. 2019, Cao et al. 2019).

    Args:
        num_max (int): Images of the largest (first) class.
        num_classes (int): Number of classes.
        imbalance_ratio (float): ``n_max / n_min``, at least 1.

    Returns:
        list[int]: One count per class, non-increasing.
    """
    if num_classes < 2:
        return [num_max] * num_classes
    return [
        int(num_max * (1. / imbalance_ratio)**(i / (num_classes - 1.)))
        for i in range(num_classes)
    ]


@register_dataset
class CIFAR100LT(CIFAR100):
    """CIFAR-100-LT from the standard ``cifar-100-python`` files.

    Reads ``<data_root>/cifar-100-python/{train,test}`` (the python pickles
    users download; no network access, no download) and keeps, of the 500
    training images of class ``i``, the first ``n_i`` of
    :func:`long_tail_counts` (``n_0 = 500``, ``n_99 = 500 / ratio``):
    10,847 / 12,608 / 19,573 images for ratios 100 / 50 / 10.

    Which images a class keeps is deterministic. With ``seed`` an int
    (default 0), each class's indices (classes in label order, indices in
    file order) are shuffled in turn by one ``np.random.RandomState(seed)``,
    the way the LDAM-DRW ``IMBALANCECIFAR100`` generator draws them after
    ``np.random.seed(0)``; with ``seed=None`` a class keeps its first
    ``n_i`` images in file order.

    Splits:

    * ``train``: the long-tailed subset (the final runs train on it).
    * ``val``: the last ``val_per_class`` images of every class in the same
      order (balanced; held out for tuning).
    * ``train_tune``: ``train`` without the ``val`` images (only the
      largest classes lose any: at ratio 100 and 20 val images per class,
      class 0 keeps 480), the training split while tuning.
    * ``test``: CIFAR-100's balanced 10,000-image test set.

    Args:
        data_root (str): The folder holding ``cifar-100-python/``.
        split (str): ``'train'``, ``'train_tune'``, ``'val'`` or
            ``'test'``.
        imbalance_ratio (float): ``n_max / n_min``, e.g. 10, 50 or 100;
            at least 1 and small enough that every class keeps an image.
        seed (int, optional): Which images the classes keep (see above).
        val_per_class (int): Images per class of the ``val`` split.
        **kwargs: :class:`mmpretrain.datasets.BaseDataset` arguments
            (``pipeline``, ``test_mode``, ...). ``download=True`` is
            refused.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 imbalance_ratio: float = 100.,
                 seed: Optional[int] = 0,
                 val_per_class: int = 20,
                 download: bool = False,
                 **kwargs) -> None:
        name = type(self).__name__
        if split not in CIFAR100_LT_SPLITS:
            raise ValueError(f'{name}: split must be one of '
                             f'{CIFAR100_LT_SPLITS}, got {split!r}')
        if isinstance(imbalance_ratio, bool) or not isinstance(
                imbalance_ratio, Real) or not math.isfinite(
                    imbalance_ratio) or imbalance_ratio < 1:
            raise ValueError(f'{name}: imbalance_ratio must be a number >= 1 '
                             f'(e.g. 10, 50, 100), got {imbalance_ratio!r}')
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, int) or seed < 0):
            raise ValueError(f'{name}: seed must be None or an int >= 0, '
                             f'got {seed!r}')
        if isinstance(val_per_class, bool) or not isinstance(
                val_per_class, int) or val_per_class < 1:
            raise ValueError(f'{name}: val_per_class must be an int >= 1, '
                             f'got {val_per_class!r}')
        if download:
            raise ValueError(
                f'{name}: download=True is not supported; put the '
                'cifar-100-python folder of the CIFAR-100 python version '
                'under data_root')
        self.imbalance_ratio = float(imbalance_ratio)
        self.seed = seed
        self.val_per_class = val_per_class
        self.class_counts: List[int] = []
        # CIFAR10.__init__ accepts 'train'/'test' only: our 'val' is read
        # from the training file.
        self.lt_split = split
        super().__init__(
            data_root=data_root,
            split='test' if split == 'test' else 'train',
            download=False,
            **kwargs)
        self.split = split

    # -- reading -------------------------------------------------------------
    def _read_pickle(self, file_name: str) -> Dict[str, np.ndarray]:
        """Images (N, 32, 32, 3) and fine labels (N, ) of one pickle."""
        name = type(self).__name__
        path = osp.join(self.data_prefix['root'], self.base_folder, file_name)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{name}: {path} not found (the CIFAR-100 python version: '
                f'<data_root>/{self.base_folder}/{{train,test,meta}})')
        try:
            # never pickle.load: a crafted file would run code
            entry = load_data_pickle(path)
        except UnsafePickleError as error:
            raise ValueError(f'{name}: {error}') from None
        except Exception as error:  # any unpickling failure
            raise ValueError(f'{name}: {path} is not a CIFAR-100 pickle '
                             f'({type(error).__name__}: {error})') from None
        if not isinstance(entry, dict):
            raise ValueError(f'{name}: {path} holds a '
                             f'{type(entry).__name__}, not a dict')
        for key in ('data', 'fine_labels'):
            if key not in entry:
                raise ValueError(
                    f'{name}: {path} has no "{key}" entry (keys: '
                    f'{sorted(map(str, entry))[:6]})')
        data = np.asarray(entry['data'])
        labels = np.asarray(entry['fine_labels'])
        if data.dtype != np.uint8 or data.ndim != 2 or \
                data.shape[1] != 3 * 32 * 32:
            raise ValueError(
                f'{name}: {path}: "data" must be uint8 of shape (N, 3072), '
                f'got {data.dtype} {data.shape}')
        if labels.ndim != 1 or len(labels) != len(data):
            raise ValueError(
                f'{name}: {path}: {len(labels)} fine_labels for '
                f'{len(data)} images')
        num_classes = len(self.CLASSES)
        if len(labels) and (labels.dtype.kind not in 'iu' or labels.min() < 0
                            or labels.max() >= num_classes):
            bad = int(np.flatnonzero(
                (labels < 0) | (labels >= num_classes))[0]) \
                if labels.dtype.kind in 'iu' else 0
            raise ValueError(
                f'{name}: {path}: fine_labels[{bad}] = '
                f'{labels[bad].item()!r} is not a class id in '
                f'[0, {num_classes})')
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return dict(images=images, labels=labels.astype(np.int64))

    def _long_tail_indices(self, labels: np.ndarray) -> Dict[str, list]:
        """Indices of the ``train``, ``train_tune`` and ``val`` images,
        class by class."""
        name = type(self).__name__
        num_classes = len(self.CLASSES)
        per_class = np.bincount(labels, minlength=num_classes)
        num_max = int(per_class.max()) if len(labels) else 0
        if per_class.min() != num_max:
            short = int(np.argmin(per_class))
            raise ValueError(
                f'{name}: the training file must hold the same number of '
                f'images per class; class {short} has {per_class[short]}, '
                f'class {int(np.argmax(per_class))} has {num_max}')
        counts = long_tail_counts(num_max, num_classes, self.imbalance_ratio)
        if counts[-1] < 1:
            raise ValueError(
                f'{name}: imbalance_ratio {self.imbalance_ratio:g} leaves '
                f'no image to the last class ({num_max} images per class: '
                f'the ratio can be at most {num_max})')
        if self.val_per_class >= num_max:
            raise ValueError(
                f'{name}: val_per_class={self.val_per_class} must be '
                f'smaller than the {num_max} training images per class')
        rng = None if self.seed is None else np.random.RandomState(self.seed)
        splits = dict(train=[], val=[], train_tune=[])
        for label, count in enumerate(counts):
            indices = np.flatnonzero(labels == label)
            if rng is not None:
                rng.shuffle(indices)
            val = indices[num_max - self.val_per_class:]
            splits['train'].extend(indices[:count].tolist())
            splits['val'].extend(val.tolist())
            splits['train_tune'].extend(
                indices[:min(count, num_max - self.val_per_class)].tolist())
        self.class_counts = counts
        return splits

    def load_data_list(self) -> List[dict]:
        """The split's images (HWC uint8 arrays) and labels."""
        if self.lt_split == 'test':
            entry = self._read_pickle(self.test_list[0][0])
            chosen = np.arange(len(entry['labels']))
        else:
            entry = self._read_pickle(self.train_list[0][0])
            chosen = self._long_tail_indices(entry['labels'])[self.lt_split]
        return [
            dict(img=entry['images'][i], gt_label=int(entry['labels'][i]))
            for i in chosen
        ]

    def extra_repr(self) -> List[str]:
        """Split, ratio and source folder for ``repr``."""
        return [
            f'Split: \t{self.lt_split}',
            f'Imbalance ratio: \t{self.imbalance_ratio:g}',
            f"Prefix of data: \t{self.data_prefix['root']}",
        ]
