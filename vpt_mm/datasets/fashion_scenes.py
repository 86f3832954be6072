"""The segmentation demo's dataset: fashion-scenes in the ADE20K layout
(written by :mod:`vpt_mm.apis.seg_demo_data`), one split or several."""
import os
import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset

from vpt_mm.registry import register_seg_dataset

FASHION_CLASSES = ('background', 'T-shirt/top', 'Trouser', 'Pullover',
                   'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                   'Ankle boot')
FASHION_PALETTE = [[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25],
                   [0, 130, 200], [245, 130, 48], [145, 30, 180],
                   [70, 240, 240], [240, 50, 230], [210, 245, 60],
                   [250, 190, 212]]


@register_seg_dataset
class FashionScenesDataset(BaseSegDataset):
    """Fashion-scenes: grey PNG scenes and PNG label maps (0 background,
    1-10 the Fashion-MNIST classes) under ``images/<split>`` and
    ``annotations/<split>`` of ``data_root``.

    Args:
        split (str): The folder name(s) of the split, ``'training'``,
            ``'validation'``, ``'test'``, or several joined by ``+``
            (``'training+validation'``), as the sweep's protocol names
            them.
        **kwargs: Of :class:`mmseg.datasets.BaseSegDataset`
            (``data_root``, ``pipeline``, ...); not ``data_prefix``.
    """

    METAINFO = dict(classes=FASHION_CLASSES, palette=FASHION_PALETTE)

    def __init__(self, split: str = 'training', **kwargs) -> None:
        if 'data_prefix' in kwargs:
            raise ValueError('FashionScenesDataset: give split, not '
                             'data_prefix')
        self.splits = [part for part in str(split).split('+') if part]
        if not self.splits:
            raise ValueError(f'FashionScenesDataset: empty split {split!r}')
        super().__init__(
            img_suffix='.png',
            seg_map_suffix='.png',
            reduce_zero_label=False,
            data_prefix=dict(img_path='', seg_map_path=''),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """The scenes of every split, sorted by path within each."""
        data_list = []
        for split in self.splits:
            image_dir = osp.join(self.data_root, 'images', split)
            label_dir = osp.join(self.data_root, 'annotations', split)
            if not osp.isdir(image_dir):
                raise FileNotFoundError(
                    f'FashionScenesDataset: split {split!r} has no folder '
                    f'{image_dir} (run tools/misc/prepare_seg_demo_data.py)')
            names = sorted(name for name in os.listdir(image_dir)
                           if name.endswith(self.img_suffix))
            if not names:
                raise FileNotFoundError(
                    f'FashionScenesDataset: no {self.img_suffix} image in '
                    f'{image_dir}')
            for name in names:
                label = osp.join(label_dir, name)
                if not osp.isfile(label):
                    raise FileNotFoundError(
                        f'FashionScenesDataset: no label map {label} for '
                        f'{osp.join(image_dir, name)}')
                data_list.append(
                    dict(
                        img_path=osp.join(image_dir, name),
                        seg_map_path=label,
                        label_map=self.label_map,
                        reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[]))
        return data_list
