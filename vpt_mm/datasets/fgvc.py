"""The FGVC benchmark as the official VPT code lays it out on disk."""
import os.path as osp
from typing import List, Optional

from mmengine.fileio import exists
from mmpretrain.datasets import BaseDataset

from vpt_mm.registry import register_dataset
from ..tasks import FGVC_SETS
from .entries import NamedLoadErrors, image_path, read_json_entries

SPLITS = ('train', 'val', 'test')


@register_dataset
class FGVCDataset(NamedLoadErrors, BaseDataset):
    """CUB-200-2011, NABirds, Oxford Flowers, Stanford Dogs or Stanford Cars
    from ``<data_root>/{train,val,test}.json``.

    Each split file is a JSON object ``{"<relative image path>": <class>}``;
    paths are relative to the set's image folder (``images`` for CUB and
    NABirds, ``Images`` for Dogs, the data root for Cars and Flowers).
    ``split='trainval'`` joins train and val (the paper's final runs).

    At build time a missing, empty, malformed or non-object split file, a
    key given twice, a path that is absolute or leaves the image folder, a
    missing image or a label outside ``[0, num_classes)`` raises one error
    naming the file and the entry; an image that fails to load (e.g. 0
    bytes) names them when it is loaded.

    Args:
        data_root (str): Folder holding the split files.
        name (str): One of ``cub``, ``nabirds``, ``flowers``, ``dogs``,
            ``cars``, or the name of a set of one's own in the same layout
            (then ``num_classes`` is required and the paths are relative
            to ``data_root``).
        split (str): ``train``, ``val``, ``trainval`` or ``test``.
        num_classes (int, optional): Override the set's class count (for
            subsets). Defaults to the count of the named set.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """

    def __init__(self,
                 data_root: str,
                 name: str,
                 split: str = 'train',
                 num_classes: Optional[int] = None,
                 **kwargs) -> None:
        if name not in FGVC_SETS and num_classes is None:
            raise ValueError(f'FGVCDataset: unknown name "{name}"; choose '
                             f'from {sorted(FGVC_SETS)}, or give '
                             'num_classes for a set of your own')
        if split not in SPLITS + ('trainval', ):
            raise ValueError(f'FGVCDataset: unknown split "{split}"; choose '
                             f'from {list(SPLITS) + ["trainval"]}')
        image_folder, default_classes = FGVC_SETS.get(name, ('', None))
        self.name = name
        self.split = split
        self.num_classes = num_classes or default_classes
        classes = [str(index) for index in range(self.num_classes)]
        kwargs.setdefault('data_prefix', image_folder)
        super().__init__(
            ann_file='',
            data_root=data_root,
            classes=classes,
            **kwargs)

    def _split_files(self) -> List[str]:
        splits = ('train', 'val') if self.split == 'trainval' else (
            self.split, )
        return [osp.join(self.data_root, f'{split}.json') for split in splits]

    def load_data_list(self) -> List[dict]:
        data_list = []
        image_root = self.data_prefix['img_path']
        for split_file in self._split_files():
            if not exists(split_file):
                raise FileNotFoundError(
                    f'FGVCDataset({self.name}): split file {split_file} '
                    'does not exist')
            entries = read_json_entries(split_file)
            for path, label in entries.items():
                if isinstance(label, bool) or not isinstance(label, int) or \
                        not 0 <= label < self.num_classes:
                    raise ValueError(
                        f'{split_file}: entry "{path}" has label {label!r} '
                        f'outside [0, {self.num_classes})')
                img_path = image_path(split_file, path, image_root)
                if not exists(img_path):
                    raise FileNotFoundError(
                        f'{split_file}: entry "{path}" points to missing '
                        f'image {img_path}')
                data_list.append(
                    dict(
                        img_path=img_path,
                        gt_label=label,
                        source=f'{split_file}: entry "{path}"'))
        return data_list
