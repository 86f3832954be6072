"""A small generated set in mmsegmentation's ADE20K layout, for smoke runs.

``images/{training,validation}/*.jpg`` and ``annotations/...*.png`` with
labels 0-150 (0 is "other", removed by ``reduce_zero_label``). Each image
is a few coloured rectangles whose colour encodes their class.
"""
import os
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np

SPLIT_SIZES = dict(training=8, validation=4)


def write_toy_ade20k(root: str,
                     image_size: int = 48,
                     seed: int = 0,
                     split_sizes: Optional[Dict[str, int]] = None
                     ) -> Dict[str, int]:
    """Write a toy ADE20K-layout set under ``root``.

    Args:
        root (str): The ``ADEChallengeData2016``-like folder to fill.
        image_size (int): Side of the square images. Defaults to 48.
        seed (int): Seed of the rectangles and their classes.
        split_sizes (dict, optional): Images per split; defaults to
            :data:`SPLIT_SIZES` (8 training, 4 validation).

    Returns:
        dict: Number of images written per split.
    """
    split_sizes = split_sizes or SPLIT_SIZES
    rng = np.random.default_rng(seed)
    counts = {}
    for split, count in split_sizes.items():
        image_dir = osp.join(root, 'images', split)
        label_dir = osp.join(root, 'annotations', split)
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for index in range(count):
            image = np.full((image_size, image_size, 3), 127, np.uint8)
            label = np.zeros((image_size, image_size), np.uint8)
            for _ in range(3):
                cls = int(rng.integers(1, 151))
                y0, x0 = rng.integers(0, image_size // 2, size=2)
                y1, x1 = rng.integers(image_size // 2, image_size, size=2)
                image[y0:y1, x0:x1] = (cls * 37 % 256, cls * 91 % 256,
                                       cls * 53 % 256)
                label[y0:y1, x0:x1] = cls
            name = f'ADE_{split}_{index:08d}'
            cv2.imwrite(osp.join(image_dir, name + '.jpg'), image)
            cv2.imwrite(osp.join(label_dir, name + '.png'), label)
        counts[split] = count
    return counts
