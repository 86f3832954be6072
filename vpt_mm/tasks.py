"""The paper's benchmark tasks: VTAB-1k and FGVC (pure data)."""
from typing import Dict, List, Tuple

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

# The paper's split sizes (Tab. 7, "Specifications of the various datasets
# evaluated"). FGVC: name -> (train, val, test); sets marked with a star in
# Tab. 7 have no public validation split: their val is a random 10 % of the
# original training set (ceil(n / 10) images), train the rest.
FGVC_SPLIT_SIZES: Dict[str, Tuple[int, int, int]] = {
    'cub': (5394, 600, 5794),
    'nabirds': (21536, 2393, 24633),
    'flowers': (1020, 1020, 6149),
    'dogs': (10800, 1200, 8580),
    'cars': (7329, 815, 8041),
}
# the FGVC sets whose val the paper sampled from the training set
FGVC_SAMPLED_VAL = ('cub', 'nabirds', 'dogs', 'cars')

# VTAB-1k: every task has 800 train, 200 val (1,000 together); the test
# split's size per task (Tab. 7)
VTAB_TRAIN_SIZES: Dict[str, int] = {
    'train800': 800, 'val200': 200, 'train800val200': 1000}
VTAB_TEST_SIZES: Dict[str, int] = {
    'cifar100': 10000,
    'caltech101': 6084,
    'dtd': 1880,
    'oxford_flowers102': 6149,
    'oxford_pet': 3669,
    'svhn': 26032,
    'sun397': 21750,
    'patch_camelyon': 32768,
    'eurosat': 5400,
    'resisc45': 6300,
    'diabetic_retinopathy': 42670,
    'clevr_count': 15000,
    'clevr_dist': 15000,
    'dmlab': 22735,
    'kitti': 711,
    'dsprites_loc': 73728,
    'dsprites_ori': 73728,
    'smallnorb_azi': 12150,
    'smallnorb_ele': 12150,
}


def expected_split_sizes(benchmark: str, name: str) -> Dict[str, int]:
    """The paper's size of every split of one set, ``{split: images}``
    (FGVC: ``train``, ``val``, ``test``; VTAB-1k: ``train800``,
    ``val200``, ``train800val200``, ``test``).

    Raises:
        KeyError: ``benchmark`` is not ``fgvc``/``vtab1k``, or ``name`` is
            not one of its sets.
    """
    if benchmark == 'fgvc':
        if name not in FGVC_SPLIT_SIZES:
            raise KeyError(f'"{name}" is not an FGVC set; choose from '
                           f'{sorted(FGVC_SPLIT_SIZES)}')
        return dict(zip(('train', 'val', 'test'), FGVC_SPLIT_SIZES[name]))
    if benchmark == 'vtab1k':
        if name not in VTAB_TEST_SIZES:
            raise KeyError(f'"{name}" is not a VTAB-1k task; choose from '
                           f'{list(VTAB_TEST_SIZES)}')
        return dict(VTAB_TRAIN_SIZES, test=VTAB_TEST_SIZES[name])
    raise KeyError(f'unknown benchmark "{benchmark}"; choose from '
                   "['fgvc', 'vtab1k']")


def split_size_differences(benchmark: str, name: str,
                           sizes: Dict[str, int]) -> List[str]:
    """One line per split of ``sizes`` whose size differs from the paper's
    table (splits the table does not list are ignored); empty when all
    agree. Each line names the set, the split and both sizes."""
    expected = expected_split_sizes(benchmark, name)
    return [
        f'{benchmark} {name}: split {split} has {sizes[split]:,} images, '
        f'the paper (Tab. 7) has {expected[split]:,}'
        for split in expected
        if split in sizes and sizes[split] != expected[split]
    ]
