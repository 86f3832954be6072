"""The paper's benchmark tasks: VTAB-1k and FGVC (pure data)."""
from typing import Dict, Tuple

# task: (number of classes, group); order and counts as in the paper's Tab. 7
VTAB_TASKS: Dict[str, Tuple[int, str]] = {
    'cifar100': (100, 'natural'),
    'caltech101': (102, 'natural'),
    'dtd': (47, 'natural'),
    'oxford_flowers102': (102, 'natural'),
    'oxford_pet': (37, 'natural'),
    'svhn': (10, 'natural'),
    'sun397': (397, 'natural'),
    'patch_camelyon': (2, 'specialized'),
    'eurosat': (10, 'specialized'),
    'resisc45': (45, 'specialized'),
    'diabetic_retinopathy': (5, 'specialized'),
    'clevr_count': (8, 'structured'),
    'clevr_dist': (6, 'structured'),
    'dmlab': (6, 'structured'),
    'kitti': (4, 'structured'),
    'dsprites_loc': (16, 'structured'),
    'dsprites_ori': (16, 'structured'),
    'smallnorb_azi': (18, 'structured'),
    'smallnorb_ele': (9, 'structured'),
}

# name: (image folder relative to the data root, number of classes)
FGVC_SETS: Dict[str, Tuple[str, int]] = {
    'cub': ('images', 200),
    'nabirds': ('images', 555),
    'flowers': ('', 102),
    'dogs': ('Images', 120),
    'cars': ('', 196),
}
