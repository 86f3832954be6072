"""A generated VTAB-1k task (random images, the real folder layout)."""
import os
import os.path as osp
from typing import Dict

import cv2
import numpy as np

SPLITS = ('train800', 'val200', 'test')


def write_toy_vtab(task_dir: str,
                   num_classes: int,
                   per_split: Dict[str, int],
                   size: int = 224,
                   seed: int = 0) -> Dict[str, int]:
    """Write ``per_split[split]`` random ``size`` x ``size`` PNGs for each
    of ``train800``, ``val200`` and ``test`` (labels cycling over
    ``num_classes``), their split files and ``train800val200.txt``.

    Returns:
        dict: Number of images per split file.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(task_dir, 'images'), exist_ok=True)
    lines: Dict[str, list] = {}
    for split in SPLITS:
        lines[split] = []
        for k in range(per_split[split]):
            label = k % num_classes
            name = f'images/{split}_{k:05d}.png'
            image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            cv2.imwrite(osp.join(task_dir, name), image)
            lines[split].append(f'{name} {label}\n')
    lines['train800val200'] = lines['train800'] + lines['val200']
    counts = {}
    for split, split_lines in lines.items():
        with open(osp.join(task_dir, f'{split}.txt'), 'w') as file:
            file.writelines(split_lines)
        counts[split] = len(split_lines)
    return counts
