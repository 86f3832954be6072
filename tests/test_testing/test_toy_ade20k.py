"""The toy set in mmsegmentation's ADE20K layout."""
import glob
import os.path as osp

import cv2
import numpy as np

from vpt_mm.testing import write_toy_ade20k


def test_toy_set_has_the_ade20k_layout(tmp_path):
    root = tmp_path / 'data'
    # the set the SETR-PUP train/test/resume tests write
    counts = write_toy_ade20k(str(root), image_size=48,
                              split_sizes=dict(training=4, validation=2))
    assert counts == dict(training=4, validation=2)
    for split, count in (('training', 4), ('validation', 2)):
        images = sorted(glob.glob(str(root / 'images' / split / '*.jpg')))
        labels = sorted(glob.glob(str(root / 'annotations' / split /
                                      '*.png')))
        assert len(images) == len(labels) == count
        for image, label in zip(images, labels):
            assert osp.basename(image)[:-4] == osp.basename(label)[:-4]
            label = cv2.imread(label, cv2.IMREAD_UNCHANGED)
            assert label.dtype == np.uint8 and label.shape == (48, 48)
            # 0 ("other", ignored by reduce_zero_label) and classes 1-150
            assert label.min() == 0 and label.max() <= 150


def test_default_splits(tmp_path):
    counts = write_toy_ade20k(str(tmp_path))
    assert counts == dict(training=8, validation=4)
    image = cv2.imread(
        str(tmp_path / 'images' / 'training' / 'ADE_training_00000000.jpg'))
    assert image.shape == (48, 48, 3)
