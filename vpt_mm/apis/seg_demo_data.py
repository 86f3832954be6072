"""Fashion-scenes: the segmentation demo's task, from real images.

Each scene is a 56 x 56 grey canvas holding two to four Fashion-MNIST
*test* items (the demo pretrains on the train split, so no item of a scene
was seen in pretraining), each in its own randomly chosen cell of a 2 x 2
grid of 28 px cells: an item covers 4 x 4 of the tiny ViT's 7 px patches,
aligned with them, as in pretraining (with items at any pixel offset and
overlapping, a frozen-feature token probe scored 20 instead of 28 mIoU and
300 iterations of SETR-PUP learned almost nothing; docs/segmentation.md).
A pixel is labelled with its item's class (1-10) where that item's own ink
is (grey level above :data:`INK_THRESHOLD`), and 0 (background) elsewhere,
faint item pixels and empty cells included.
The item pool is split first, so the training, validation and test scenes
share no item either. Written in mmsegmentation's ADE20K layout::

    <root>/images/{training,validation,test}/scene_00000.png
    <root>/annotations/{training,validation,test}/scene_00000.png

read by :class:`vpt_mm.datasets.FashionScenesDataset`.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from vpt_mm.checkpoint.atomic import atomic_path

SPLITS = ('training', 'validation', 'test')
SPLIT_SIZES = dict(training=320, validation=96, test=96)
CANVAS = 56
ITEMS_PER_SCENE = (2, 4)  # at least, at most
INK_THRESHOLD = 30
IDX_FILES = ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
# what write_fashion_scenes records in <root>/scenes.json; 2: items in grid
# cells (1: at any offset, overlapping)
SCENE_FORMAT = 2
RECORD = 'scenes.json'


def expected_record(seed: int, split_sizes: Dict[str, int],
                    canvas: int = CANVAS) -> dict:
    """What :func:`write_fashion_scenes` records for these options: the
    scenes in a folder whose :func:`scenes_record` equals it are current.
    """
    counts = {split: split_sizes.get(split, 0) for split in SPLITS}
    return dict(format=SCENE_FORMAT, seed=seed, canvas=canvas, counts=counts)


def scenes_record(root: str) -> Optional[dict]:
    """What :func:`write_fashion_scenes` recorded in ``root``, or None
    where it recorded nothing (no folder, or one of an older version)."""
    path = osp.join(root, RECORD)
    if not osp.isfile(path):
        return None
    with open(path) as file:
        try:
            record = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path}: not JSON ({error})') from None
    return record if isinstance(record, dict) else None


def read_idx(path: str) -> np.ndarray:
    """An IDX file (the MNIST format) as an array.

    Raises:
        FileNotFoundError: No file at ``path``.
        ValueError: The file is not an unsigned-byte IDX file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'IDX file not found: {path}')
    with open(path, 'rb') as file:
        data = file.read()
    if len(data) < 4 or data[:3] != b'\x00\x00\x08':
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    ndim = data[3]
    shape = tuple(
        int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f'{path}: {body.size} bytes for the shape {shape}')
    return body.reshape(shape)


def load_fashion_mnist_test(fmnist_dir: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(images (N, 28, 28) uint8, labels (N,))`` of the test split in
    ``fmnist_dir`` (unpacked by ``tools/misc/prepare_demo_data.py``)."""
    images, labels = (read_idx(osp.join(fmnist_dir, name))
                      for name in IDX_FILES)
    if images.ndim != 3 or labels.shape != images.shape[:1]:
        raise ValueError(f'{fmnist_dir}: {images.shape} images for '
                         f'{labels.shape} labels')
    return images, labels


def compose_scene(rng: np.random.Generator, items: np.ndarray,
                  labels: np.ndarray,
                  canvas: int = CANVAS) -> Tuple[np.ndarray, np.ndarray]:
    """Paste ``items`` (K, h, w), each whole, into K distinct random cells
    of the ``canvas // h`` x ``canvas // w`` grid of a black canvas.

    Returns:
        tuple: The image (canvas, canvas) uint8 and its label map, the
        item's class + 1 where its ink is, 0 elsewhere.

    Raises:
        ValueError: More items than cells.
    """
    height, width = items.shape[1:]
    rows, cols = canvas // height, canvas // width
    if len(items) > rows * cols:
        raise ValueError(f'{len(items)} items of {height} x {width} px do '
                         f'not fit the {rows} x {cols} cells of a {canvas} '
                         f'px canvas')
    image = np.zeros((canvas, canvas), np.uint8)
    label = np.zeros((canvas, canvas), np.uint8)
    cells = rng.choice(rows * cols, size=len(items), replace=False)
    for item, cls, cell in zip(items, labels, cells):
        y, x = height * (cell // cols), width * (cell % cols)
        image[y:y + height, x:x + width] = item
        label[y:y + height, x:x + width][item > INK_THRESHOLD] = int(cls) + 1
    return image, label


def write_fashion_scenes(root: str,
                         fmnist_dir: str,
                         seed: int = 0,
                         split_sizes: Optional[Dict[str, int]] = None,
                         canvas: int = CANVAS) -> Dict[str, int]:
    """Write the fashion-scenes task under ``root``.

    Args:
        root (str): The ADE20K-layout folder to fill.
        fmnist_dir (str): The unpacked Fashion-MNIST IDX files.
        seed (int): Seed of the item pools, placements and counts.
        split_sizes (dict, optional): Scenes per split (keys of
            :data:`SPLITS`); defaults to :data:`SPLIT_SIZES`.
        canvas (int): Side of the square scenes.

    Returns:
        dict: Number of scenes written per split.
    """
    split_sizes = dict(split_sizes or SPLIT_SIZES)
    unknown = sorted(set(split_sizes) - set(SPLITS))
    if unknown:
        raise ValueError(f'split_sizes: unknown split(s) {unknown}; the '
                         f'splits are {list(SPLITS)}')
    images, labels = load_fashion_mnist_test(fmnist_dir)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    # each split draws from its own share of the items
    pools = np.array_split(order, len(SPLITS))
    counts = {}
    for split, pool in zip(SPLITS, pools):
        count = split_sizes.get(split, 0)
        image_dir = osp.join(root, 'images', split)
        label_dir = osp.join(root, 'annotations', split)
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for index in range(count):
            num = rng.integers(ITEMS_PER_SCENE[0], ITEMS_PER_SCENE[1] + 1)
            chosen = rng.choice(pool, size=num, replace=False)
            image, label = compose_scene(rng, images[chosen],
                                         labels[chosen], canvas)
            name = f'scene_{index:05d}.png'
            cv2.imwrite(osp.join(image_dir, name), image)
            cv2.imwrite(osp.join(label_dir, name), label)
        counts[split] = count
    # written last and whole: scenes cut short by a kill have no record
    with atomic_path(osp.join(root, RECORD)) as tmp, open(tmp, 'w') as file:
        json.dump(expected_record(seed, split_sizes, canvas), file)
    return counts
