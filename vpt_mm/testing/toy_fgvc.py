"""A small generated set in the FGVC on-disk layout, for smoke runs.

Images are real PNG files; class ``k`` is a stripe orientation and colour
that a tiny network learns in a few dozen iterations, so a smoke run shows
whether training moves at all.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np

SPLIT_SIZES = dict(train=16, val=8, test=8)  # images per class


def _toy_image(label: int, rng: np.random.Generator,
               size: int) -> np.ndarray:
    grid = np.arange(size)
    phase = rng.uniform(0, 2 * np.pi)
    angle = np.pi * label / 4 + rng.normal(0, 0.1)
    yy, xx = np.meshgrid(grid, grid, indexing='ij')
    stripes = np.sin((np.cos(angle) * xx + np.sin(angle) * yy) * 0.8 + phase)
    colour = np.roll(np.array([255., 96., 32.]), label)
    image = (0.5 + 0.5 * stripes)[..., None] * colour
    image += rng.normal(0, 20, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def write_toy_fgvc(root: str,
                   num_classes: int = 4,
                   image_size: int = 40,
                   seed: int = 0,
                   split_sizes: Optional[Dict[str, int]] = None
                   ) -> Dict[str, int]:
    """Write ``<root>/{train,val,test}.json`` and ``<root>/images/*.png``
    in the layout of :class:`vpt_mm.datasets.FGVCDataset` (``name='cub'``).

    Returns:
        dict: Number of images written per split.
    """
    split_sizes = split_sizes or SPLIT_SIZES
    rng = np.random.default_rng(seed)
    counts = {}
    for split, per_class in split_sizes.items():
        folder = osp.join(root, 'images', split)
        os.makedirs(folder, exist_ok=True)
        entries = {}
        for label in range(num_classes):
            for index in range(per_class):
                name = f'{split}/{label:03d}_{index:04d}.png'
                image = _toy_image(label, rng, image_size)
                cv2.imwrite(osp.join(root, 'images', name), image)
                entries[name] = label
        with open(osp.join(root, f'{split}.json'), 'w') as file:
            json.dump(entries, file, indent=0)
        counts[split] = len(entries)
    return counts
