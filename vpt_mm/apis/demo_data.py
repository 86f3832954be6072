"""Real data for the CPU demo, from packages a Debian machine can install.

* Fashion-MNIST (Debian ``dataset-fashion-mnist``, MIT licence): the
  gzipped IDX files, unpacked where mmpretrain's ``FashionMNIST`` reads
  them. The demo pretrains a tiny ViT on it.
* digits-1k: OpenCV's ``samples/data/digits.png`` (Debian ``opencv-doc``;
  5,000 handwritten digits of 20 x 20 pixels, 500 per class, five rows of
  100 per class) written as a VTAB-1k task: ``train800.txt``,
  ``val200.txt``, ``train800val200.txt`` (80 + 20 per class) and
  ``test.txt`` (the other 4,000), read by :class:`VTAB1kDataset`.
"""
import gzip
import os
import os.path as osp
import shutil
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

FASHION_MNIST_DIRS = ('/usr/share/datasets/fashion-mnist', )
FASHION_MNIST_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
                       't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
DIGITS_PATHS = ('/usr/share/doc/opencv-doc/examples/data/digits.png', )
DEBIAN_PACKAGES = dict(fashion_mnist='dataset-fashion-mnist',
                       digits='opencv-doc')


class DemoDataMissing(FileNotFoundError):
    """A source file of the demo is not installed."""


def _first_existing(paths: Sequence[str], what: str, package: str) -> str:
    for path in paths:
        if osp.exists(path):
            return path
    raise DemoDataMissing(
        f'{what} not found (looked in {list(paths)}); install the Debian '
        f'package: apt-get install {package}')


def unpack_fashion_mnist(out_dir: str,
                         source_dir: Optional[str] = None) -> str:
    """Unpack the four Fashion-MNIST IDX files into ``out_dir``."""
    source_dir = source_dir or _first_existing(
        FASHION_MNIST_DIRS, 'Fashion-MNIST', DEBIAN_PACKAGES['fashion_mnist'])
    os.makedirs(out_dir, exist_ok=True)
    for name in FASHION_MNIST_FILES:
        target = osp.join(out_dir, name)
        if osp.exists(target):
            continue
        source = osp.join(source_dir, name + '.gz')
        if not osp.exists(source):
            raise DemoDataMissing(f'Fashion-MNIST file {source} is missing')
        with gzip.open(source, 'rb') as packed, open(target, 'wb') as out:
            shutil.copyfileobj(packed, out)
    return out_dir


def load_opencv_digits(path: Optional[str] = None) -> tuple:
    """Return ``(images (5000, 20, 20) uint8, labels (5000,))``."""
    path = path or _first_existing(DIGITS_PATHS, "OpenCV's digits.png",
                                   DEBIAN_PACKAGES['digits'])
    sheet = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if sheet is None or sheet.shape != (1000, 2000):
        shape = None if sheet is None else sheet.shape
        raise ValueError(f'{path}: expected a 1000 x 2000 grey image of '
                         f'digits, got {shape}')
    cells = sheet.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3)
    images = cells.reshape(5000, 20, 20)
    labels = np.repeat(np.arange(10), 500)
    return images, labels


def write_digits_1k(task_dir: str,
                    digits_path: Optional[str] = None,
                    seed: int = 0,
                    per_class: Optional[Dict[str, int]] = None
                    ) -> Dict[str, int]:
    """Write digits-1k in the VTAB-1k layout under ``task_dir``.

    Returns:
        dict: Number of images per split file.
    """
    per_class = per_class or dict(train800=80, val200=20)
    images, labels = load_opencv_digits(digits_path)
    rng = np.random.default_rng(seed)
    splits = {name: [] for name in ('train800', 'val200', 'test')}
    for label in range(10):
        indices = rng.permutation(np.flatnonzero(labels == label))
        first = per_class['train800']
        second = first + per_class['val200']
        splits['train800'] += indices[:first].tolist()
        splits['val200'] += indices[first:second].tolist()
        splits['test'] += indices[second:].tolist()
    os.makedirs(osp.join(task_dir, 'images'), exist_ok=True)
    lines = {}
    for split, indices in splits.items():
        lines[split] = []
        for index in sorted(indices):
            name = f'images/{index:04d}.png'
            cv2.imwrite(osp.join(task_dir, name), images[index])
            lines[split].append(f'{name} {labels[index]}\n')
    lines['train800val200'] = sorted(lines['train800'] + lines['val200'])
    counts = {}
    for split, split_lines in lines.items():
        with open(osp.join(task_dir, f'{split}.txt'), 'w') as file:
            file.writelines(split_lines)
        counts[split] = len(split_lines)
    return counts
