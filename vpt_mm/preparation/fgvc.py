"""The FGVC split files from an archive, following the paper's protocol.

Tab. 7 of the paper: where a set has no public validation split (CUB,
NABirds, Dogs, Cars), its val is a seeded random 10 % of the original
training set (``ceil(n / 10)`` images) and its train the rest; Flowers
keeps its own val. The seed, the original class ids and the sizes are
recorded next to the split files in ``prepare.json``.
"""
import json
import os
import os.path as osp
import random
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

from ..tasks import (FGVC_SAMPLED_VAL, FGVC_SETS, expected_split_sizes,
                     split_size_differences)
from .fgvc_readers import (Splits, read_cars, read_cub_like, read_dogs,
                           read_flowers)

# name: the reader of the set's archive
FGVC_READERS: Dict[str, Callable[[str], Splits]] = {
    'cub': read_cub_like,
    'nabirds': read_cub_like,
    'flowers': read_flowers,
    'dogs': read_dogs,
    'cars': read_cars,
}
SPLITS = ('train', 'val', 'test')


class Prepared(NamedTuple):
    """What a converter wrote.

    Attributes:
        out_dir (str): The folder holding the split files.
        sizes (dict): Images per split.
        num_classes (int): Classes over all splits.
        differences (list[str]): Where sizes or class count differ from the
            paper's Tab. 7, one line each; empty when they agree.
    """

    out_dir: str
    sizes: Dict[str, int]
    num_classes: int
    differences: List[str]


def sample_val(train: Dict[str, int], seed: int,
               fraction: float = 0.1) -> Tuple[dict, dict]:
    """Split ``train`` into (train, val) with ``ceil(fraction * n)`` val
    images drawn with ``random.Random(seed)`` from the sorted paths."""
    paths = sorted(train)
    # ceil(fraction * n) in integers (5,994 CUB images -> 600)
    count = -(-len(paths) * round(fraction * 1000) // 1000)
    val = set(random.Random(seed).sample(paths, count))
    return ({p: train[p] for p in paths if p not in val},
            {p: train[p] for p in paths if p in val})


def _check_images(image_root: str, splits: Splits) -> None:
    missing = [path for entries in splits.values() for path in entries
               if not osp.isfile(osp.join(image_root, path))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} listed image(s) missing under {image_root}, '
            f'the first {osp.join(image_root, missing[0])}')


def class_count_difference(name: str, num_classes: int) -> List[str]:
    """A one-line list when ``num_classes`` differs from the paper's."""
    expected = FGVC_SETS[name][1]
    if num_classes == expected:
        return []
    return [f'fgvc {name}: {num_classes} classes, the paper (Tab. 7) has '
            f'{expected}']


def prepare_fgvc(name: str,
                 root: str,
                 out_dir: Optional[str] = None,
                 seed: int = 0,
                 check_images: bool = True) -> Prepared:
    """Write ``{train,val,test}.json`` of one FGVC set, as
    :class:`vpt_mm.datasets.FGVCDataset` reads them, from its archive.

    Args:
        name (str): ``cub``, ``nabirds``, ``flowers``, ``dogs`` or ``cars``.
        root (str): The folder the archive was extracted to.
        out_dir (str, optional): Where the split files go; the dataset's
            ``data_root``. Defaults to ``root`` (the image paths in the
            files are relative to the set's image folder under it).
        seed (int): Seed of the sampled val split. Defaults to 0.
        check_images (bool): Check that every listed image exists under
            the image folder. Defaults to True.

    Returns:
        Prepared: The sizes and their differences from the paper's table
        (a tiny or partial archive is converted all the same; the caller
        decides whether a difference is an error).
    """
    if name not in FGVC_READERS:
        raise ValueError(f'unknown FGVC set "{name}"; choose from '
                         f'{sorted(FGVC_READERS)}')
    splits = FGVC_READERS[name](root)
    if check_images:
        _check_images(osp.join(root, FGVC_SETS[name][0]), splits)
    if name in FGVC_SAMPLED_VAL:
        splits['train'], splits['val'] = sample_val(splits['train'], seed)
    # contiguous labels 0..C-1 in the order of the original class ids
    # (NABirds' ids have gaps: only its 555 leaf classes have images)
    class_ids = sorted({label for split in splits.values()
                        for label in split.values()})
    index = {class_id: i for i, class_id in enumerate(class_ids)}
    out_dir = out_dir or root
    os.makedirs(out_dir, exist_ok=True)
    sizes = {}
    for split in SPLITS:
        entries = {path: index[label]
                   for path, label in sorted(splits[split].items())}
        with open(osp.join(out_dir, f'{split}.json'), 'w') as file:
            json.dump(entries, file, indent=0)
        sizes[split] = len(entries)
    differences = split_size_differences('fgvc', name, sizes) + \
        class_count_difference(name, len(class_ids))
    record = dict(
        name=name,
        source=osp.abspath(root),
        val=(f'random 10% of the original train, seed {seed}'
             if name in FGVC_SAMPLED_VAL else "the archive's own"),
        seed=seed if name in FGVC_SAMPLED_VAL else None,
        sizes=sizes,
        paper_sizes=expected_split_sizes('fgvc', name),
        class_ids=class_ids,
        differences=differences)
    with open(osp.join(out_dir, 'prepare.json'), 'w') as file:
        json.dump(record, file, indent=1)
    return Prepared(out_dir, sizes, len(class_ids), differences)
