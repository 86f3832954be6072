"""The demo's data: OpenCV digits as a VTAB-1k task, Fashion-MNIST files."""
import collections
import gzip
import os.path as osp

import cv2
import numpy as np
import pytest

from vpt_mm.apis.demo_data import (FASHION_MNIST_FILES, DemoDataMissing,
                                   load_opencv_digits, unpack_fashion_mnist,
                                   write_digits_1k)
from vpt_mm.datasets import VTAB1kDataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(ROOT, 'resources', 'opencv_digits', 'digits.png')


def read_split(task_dir, split):
    with open(osp.join(task_dir, f'{split}.txt')) as file:
        return [line.split() for line in file]


def test_bundled_digits_sheet():
    images, labels = load_opencv_digits(DIGITS)
    assert images.shape == (5000, 20, 20) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    # five rows of 100 per class: the 501st digit starts class 1
    sheet = cv2.imread(DIGITS, cv2.IMREAD_GRAYSCALE)
    assert np.array_equal(images[500], sheet[100:120, 0:20])
    assert labels[499] == 0 and labels[500] == 1


def test_digits_1k_in_the_vtab_layout(tmp_path):
    task_dir = str(tmp_path / 'vtab-1k' / 'digits')
    counts = write_digits_1k(task_dir, digits_path=DIGITS, seed=0)
    assert counts == dict(train800=800, val200=200, test=4000,
                          train800val200=1000)
    splits = {
        name: read_split(task_dir, name)
        for name in ('train800', 'val200', 'train800val200', 'test')
    }
    for name, per_class in (('train800', 80), ('val200', 20), ('test', 400)):
        histogram = collections.Counter(label for _, label in splits[name])
        assert sorted(histogram.values()) == [per_class] * 10, name
    paths = {name: {path for path, _ in lines}
             for name, lines in splits.items()}
    assert not paths['train800'] & paths['val200']
    assert not (paths['train800'] | paths['val200']) & paths['test']
    assert paths['train800val200'] == paths['train800'] | paths['val200']
    # every file holds the digit its line says
    images, labels = load_opencv_digits(DIGITS)
    for path, label in splits['val200'][:20]:
        index = int(osp.basename(path).split('.')[0])
        assert int(label) == labels[index]
        written = cv2.imread(osp.join(task_dir, path), cv2.IMREAD_GRAYSCALE)
        assert np.array_equal(written, images[index])
    dataset = VTAB1kDataset(
        data_root=str(tmp_path / 'vtab-1k'), task='digits', num_classes=10,
        split='val200', serialize_data=False)
    assert len(dataset) == 200
    # the same seed gives the same split, another seed another one
    again = str(tmp_path / 'again')
    write_digits_1k(again, digits_path=DIGITS, seed=0)
    assert read_split(again, 'val200') == splits['val200']
    other = str(tmp_path / 'other')
    write_digits_1k(other, digits_path=DIGITS, seed=1)
    assert read_split(other, 'val200') != splits['val200']


def test_unpack_fashion_mnist(tmp_path):
    source = tmp_path / 'debian'
    source.mkdir()
    for index, name in enumerate(FASHION_MNIST_FILES):
        with gzip.open(source / f'{name}.gz', 'wb') as file:
            file.write(bytes([index]) * 16)
    out = unpack_fashion_mnist(str(tmp_path / 'out'), str(source))
    for index, name in enumerate(FASHION_MNIST_FILES):
        with open(osp.join(out, name), 'rb') as file:
            assert file.read() == bytes([index]) * 16


def test_missing_data_says_what_to_install(tmp_path, monkeypatch):
    from vpt_mm.apis import demo_data
    monkeypatch.setattr(demo_data, 'FASHION_MNIST_DIRS',
                        (str(tmp_path / 'none'), ))
    with pytest.raises(DemoDataMissing,
                       match='apt-get install dataset-fashion-mnist'):
        unpack_fashion_mnist(str(tmp_path / 'out'))
    source = tmp_path / 'partial'
    source.mkdir()
    with pytest.raises(DemoDataMissing, match='train-images-idx3-ubyte.gz'):
        unpack_fashion_mnist(str(tmp_path / 'out'), str(source))
    with pytest.raises(ValueError, match='1000 x 2000'):
        bad = str(tmp_path / 'bad.png')
        cv2.imwrite(bad, np.zeros((10, 10), np.uint8))
        load_opencv_digits(bad)
