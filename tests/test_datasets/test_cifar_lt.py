"""CIFAR100LT on tiny CIFAR-100-format pickles: the long-tail profile per
ratio, which images are kept, the held-out val split and the errors."""
import os.path as osp
import pickle

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from vpt_mm.datasets import CIFAR100LT, long_tail_counts

NUM_MAX = 100  # images per class in the tiny training file (real: 500)


def write_pickle(path, labels, key='fine_labels'):
    labels = np.asarray(labels)
    data = np.zeros((len(labels), 3072), dtype=np.uint8)
    index = np.arange(len(labels))
    # the first two bytes (red channel of pixel 0 and 1) encode the index
    data[:, 0], data[:, 1] = index % 256, index // 256
    with open(path, 'wb') as file:
        pickle.dump({'data': data, key: labels.tolist()}, file)


@pytest.fixture(scope='module')
def cifar_root(tmp_path_factory):
    """<root>/cifar-100-python/{train,test,meta}: 100 classes x NUM_MAX
    training images in shuffled order, 3 test images per class."""
    root = tmp_path_factory.mktemp('cifar')
    folder = root / 'cifar-100-python'
    folder.mkdir()
    rng = np.random.default_rng(1)
    write_pickle(folder / 'train', rng.permutation(
        np.repeat(np.arange(100), NUM_MAX)))
    write_pickle(folder / 'test', np.tile(np.arange(100), 3))
    with open(folder / 'meta', 'wb') as file:
        pickle.dump({'fine_label_names': [f'c{i}' for i in range(100)]},
                    file)
    return str(root)


def indices_of(dataset):
    return np.array([
        int(info['img'][0, 0, 0]) + 256 * int(info['img'][0, 1, 0])
        for info in dataset.data_list
    ])


def test_profile_of_the_real_sizes():
    # the subset sizes every CIFAR-100-LT paper reports
    for ratio, total in ((100, 10847), (50, 12608), (10, 19573)):
        counts = long_tail_counts(500, 100, ratio)
        assert sum(counts) == total
        assert counts[0] == 500 and counts[-1] == 500 // ratio
        assert counts == sorted(counts, reverse=True)
    assert long_tail_counts(500, 100, 1) == [500] * 100


@pytest.mark.parametrize('ratio', [10, 50, 100])
def test_per_class_counts(cifar_root, ratio):
    dataset = DATASETS.build(
        dict(type='CIFAR100LT', data_root=cifar_root, split='train',
             imbalance_ratio=ratio, serialize_data=False))
    counts = np.bincount(dataset.get_gt_labels(), minlength=100)
    expected = [
        int(NUM_MAX * (1 / ratio)**(i / 99)) for i in range(100)
    ]
    assert counts.tolist() == expected == dataset.class_counts
    assert counts[0] == NUM_MAX and counts[-1] == NUM_MAX // ratio
    # the images are CIFAR's (HWC uint8) with their own labels
    info = dataset.data_list[0]
    assert info['img'].shape == (32, 32, 3)
    assert info['img'].dtype == np.uint8


def test_which_images_are_kept(cifar_root):
    with open(osp.join(cifar_root, 'cifar-100-python', 'train'),
              'rb') as file:
        labels = np.asarray(pickle.load(file)['fine_labels'])
    counts = long_tail_counts(NUM_MAX, 100, 50)
    # seed=None: the first n_i of each class in file order
    first = CIFAR100LT(cifar_root, imbalance_ratio=50, seed=None,
                       serialize_data=False)
    expected = np.concatenate([
        np.flatnonzero(labels == c)[:n] for c, n in enumerate(counts)
    ])
    assert np.array_equal(indices_of(first), expected)
    # seed=0: LDAM-DRW's draw (np.random.seed(0), then a shuffle of each
    # class's indices in class order)
    np.random.seed(0)
    drawn = []
    for c, n in enumerate(counts):
        idx = np.flatnonzero(labels == c)
        np.random.shuffle(idx)
        drawn.append(idx[:n])
    seeded = CIFAR100LT(cifar_root, imbalance_ratio=50,
                        serialize_data=False)
    assert np.array_equal(indices_of(seeded), np.concatenate(drawn))
    # every image carries its own label
    assert np.array_equal(labels[indices_of(seeded)],
                          seeded.get_gt_labels())
    # deterministic: the same subset again
    again = CIFAR100LT(cifar_root, imbalance_ratio=50, serialize_data=False)
    assert np.array_equal(indices_of(again), indices_of(seeded))


def test_val_and_test_splits(cifar_root):
    splits = {
        split: CIFAR100LT(cifar_root, split=split, imbalance_ratio=100,
                          val_per_class=5, serialize_data=False)
        for split in ('train', 'train_tune', 'val', 'test')
    }
    train, tune, val = (
        set(indices_of(splits[s])) for s in ('train', 'train_tune', 'val'))
    # val: balanced, held out of the tuning run's training split
    assert np.bincount(splits['val'].get_gt_labels()).tolist() == [5] * 100
    assert not tune & val and tune == train - val
    # only the largest classes give up images to val
    counts = np.bincount(splits['train_tune'].get_gt_labels(), minlength=100)
    assert counts[0] == NUM_MAX - 5
    assert counts[10:].tolist() == splits['train'].class_counts[10:]
    # test: the whole balanced test file, in order
    assert len(splits['test']) == 300
    assert np.array_equal(indices_of(splits['test']), np.arange(300))
    assert splits['test'].split == 'test' and splits['val'].split == 'val'


def test_errors(cifar_root, tmp_path):
    for ratio in (0.5, 0, -10, 'x', True, float('inf'), None):
        with pytest.raises(ValueError, match='imbalance_ratio'):
            CIFAR100LT(cifar_root, imbalance_ratio=ratio)
    # NUM_MAX = 100 images per class: ratio 200 leaves the tail empty
    with pytest.raises(ValueError, match='at most 100'):
        CIFAR100LT(cifar_root, imbalance_ratio=200)
    with pytest.raises(ValueError, match='split'):
        CIFAR100LT(cifar_root, split='trainval')
    with pytest.raises(ValueError, match='download'):
        CIFAR100LT(cifar_root, download=True)
    with pytest.raises(ValueError, match='seed'):
        CIFAR100LT(cifar_root, seed=-1)
    with pytest.raises(ValueError, match='val_per_class=100'):
        CIFAR100LT(cifar_root, split='val', val_per_class=100)
    with pytest.raises(FileNotFoundError, match='cifar-100-python.train'):
        CIFAR100LT(str(tmp_path))
    folder = tmp_path / 'cifar-100-python'
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match='cifar-100-python.test'):
        CIFAR100LT(str(tmp_path), split='test')
    (folder / 'train').write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match='train is not a CIFAR-100 pickle'):
        CIFAR100LT(str(tmp_path))
    write_pickle(folder / 'train', [0, 1], key='labels')
    with pytest.raises(ValueError, match='no "fine_labels"'):
        CIFAR100LT(str(tmp_path))
    write_pickle(folder / 'train', [0, 100])
    with pytest.raises(ValueError, match=r'fine_labels\[1\] = 100'):
        CIFAR100LT(str(tmp_path))
    write_pickle(folder / 'train', [0, 0, 1])
    with pytest.raises(ValueError, match='same number of images per class'):
        CIFAR100LT(str(tmp_path))
