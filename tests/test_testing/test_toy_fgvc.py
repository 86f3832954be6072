"""The toy set in the FGVC layout."""
import json
import os.path as osp

import cv2

from vpt_mm.testing import write_toy_fgvc


def test_layout_and_counts(tmp_path):
    root = str(tmp_path)
    counts = write_toy_fgvc(root, num_classes=3, image_size=16,
                            split_sizes=dict(train=2, test=1))
    assert counts == dict(train=6, test=3)
    for split, per_class in (('train', 2), ('test', 1)):
        with open(osp.join(root, f'{split}.json')) as file:
            entries = json.load(file)
        assert sorted(entries.values()) == [
            label for label in range(3) for _ in range(per_class)
        ]
        for name in entries:
            assert name.startswith(f'{split}/')
            image = cv2.imread(osp.join(root, 'images', name))
            assert image.shape == (16, 16, 3)
    assert not osp.exists(osp.join(root, 'val.json'))


def test_default_splits_and_seed(tmp_path):
    first = write_toy_fgvc(str(tmp_path / 'a'))
    assert first == dict(train=64, val=32, test=32)
    write_toy_fgvc(str(tmp_path / 'b'))
    name = 'train/001_0003.png'
    same = [
        cv2.imread(str(tmp_path / run / 'images' / name)) for run in 'ab'
    ]
    assert (same[0] == same[1]).all()
