import json
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS
from mmpretrain.structures import DataSample

import vpt_mm.datasets
from vpt_mm.datasets import FGVCDataset
from vpt_mm.tasks import FGVC_SETS
from vpt_mm.testing import write_toy_fgvc

SPLIT_SIZES = dict(train=3, val=2, test=1)  # images per class
NUM_CLASSES = 4
DEFAULT_CLASSES = dict(cub=200, nabirds=555, flowers=102, dogs=120, cars=196)
IMAGE_FOLDERS = dict(
    cub='images', nabirds='images', flowers='', dogs='Images', cars='')
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_cub'))
    counts = write_toy_fgvc(
        root, num_classes=NUM_CLASSES, image_size=40, split_sizes=SPLIT_SIZES)
    assert counts == {
        split: per_class * NUM_CLASSES
        for split, per_class in SPLIT_SIZES.items()
    }
    return root


def cub(root, split='train', **kwargs):
    kwargs.setdefault('num_classes', NUM_CLASSES)
    return FGVCDataset(
        data_root=root, name='cub', split=split, pipeline=[], **kwargs)


def write_layout(root, name, entries, split='train'):
    """A split file and tiny images in the layout of ``name``."""
    image_root = osp.join(root, IMAGE_FOLDERS[name])
    for path in entries:
        os.makedirs(osp.dirname(osp.join(image_root, path)), exist_ok=True)
        cv2.imwrite(
            osp.join(image_root, path), np.zeros((8, 8, 3), np.uint8))
    with open(osp.join(root, f'{split}.json'), 'w') as file:
        json.dump(entries, file)
    return str(root)


def write_split(root, entries, split='train'):
    with open(osp.join(root, f'{split}.json'), 'w') as file:
        json.dump(entries, file)


def test_set_table():
    assert {name: count
            for name, (_, count) in FGVC_SETS.items()} == DEFAULT_CLASSES
    assert {name: folder
            for name, (folder, _) in FGVC_SETS.items()} == IMAGE_FOLDERS
    # vpt_mm.datasets re-exports the table of vpt_mm.tasks
    assert vpt_mm.datasets.FGVC_SETS is FGVC_SETS


@pytest.mark.parametrize('split', ['train', 'val', 'test'])
def test_toy_split(toy_root, split):
    dataset = cub(toy_root, split)
    per_class = SPLIT_SIZES[split]
    assert len(dataset) == per_class * NUM_CLASSES
    assert dataset.get_gt_labels().tolist() == [
        label for label in range(NUM_CLASSES) for _ in range(per_class)
    ]
    assert dataset.CLASSES == tuple(str(k) for k in range(NUM_CLASSES))
    with open(osp.join(toy_root, f'{split}.json')) as file:
        entries = json.load(file)
    for index, (path, label) in enumerate(entries.items()):
        info = dataset.get_data_info(index)
        assert info['img_path'] == osp.join(toy_root, 'images', path)
        assert osp.isfile(info['img_path'])
        assert info['gt_label'] == label


def test_trainval_joins_train_and_val(toy_root):
    train, val = cub(toy_root, 'train'), cub(toy_root, 'val')
    trainval = cub(toy_root, 'trainval')
    assert len(trainval) == len(train) + len(val)
    paths = [
        trainval.get_data_info(i)['img_path'] for i in range(len(trainval))
    ]
    assert paths == [
        dataset.get_data_info(i)['img_path'] for dataset in (train, val)
        for i in range(len(dataset))
    ]
    assert trainval.get_gt_labels().tolist() == \
        train.get_gt_labels().tolist() + val.get_gt_labels().tolist()


def test_build_from_registry(toy_root):
    cfg = dict(
        type='FGVCDataset',
        data_root=toy_root,
        name='cub',
        split='val',
        num_classes=NUM_CLASSES,
        pipeline=PIPELINE)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg)
    assert isinstance(dataset, FGVCDataset)
    assert len(dataset) == SPLIT_SIZES['val'] * NUM_CLASSES


def test_pipeline_output(toy_root):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = FGVCDataset(
            data_root=toy_root,
            name='cub',
            split='test',
            num_classes=NUM_CLASSES,
            pipeline=PIPELINE)
    for index in (0, len(dataset) - 1):
        sample = dataset[index]
        assert isinstance(sample['inputs'], torch.Tensor)
        assert sample['inputs'].shape == (3, 32, 32)
        assert sample['inputs'].dtype == torch.uint8
        data_sample = sample['data_samples']
        assert isinstance(data_sample, DataSample)
        assert data_sample.gt_label.tolist() == [
            dataset.get_data_info(index)['gt_label']
        ]
        assert data_sample.ori_shape == (40, 40)
        assert data_sample.img_shape == (32, 32)


@pytest.mark.parametrize('name', sorted(IMAGE_FOLDERS))
def test_image_folder_per_set(tmp_path, name):
    entries = {'class_a/0001.jpg': 0, 'class_b/0002.jpg': 1}
    root = write_layout(tmp_path, name, entries)
    dataset = FGVCDataset(data_root=root, name=name, num_classes=2)
    expected_root = osp.join(root, IMAGE_FOLDERS[name])
    assert [
        osp.normpath(dataset.get_data_info(i)['img_path'])
        for i in range(len(dataset))
    ] == [osp.normpath(osp.join(expected_root, path)) for path in entries]
    assert dataset.get_gt_labels().tolist() == [0, 1]


@pytest.mark.parametrize('name,other', [('dogs', 'cub'), ('cars', 'dogs'),
                                        ('cub', 'flowers')])
def test_image_folder_of_another_set_fails(tmp_path, name, other):
    root = write_layout(tmp_path, name, {'a/0001.jpg': 0})
    with pytest.raises(FileNotFoundError, match='a/0001.jpg'):
        FGVCDataset(data_root=root, name=other, num_classes=2)


@pytest.mark.parametrize('name', sorted(DEFAULT_CLASSES))
def test_default_class_count(tmp_path, name):
    count = DEFAULT_CLASSES[name]
    root = write_layout(tmp_path, name, {'x/first.jpg': 0,
                                         'x/last.jpg': count - 1})
    dataset = FGVCDataset(data_root=root, name=name)
    assert dataset.num_classes == count
    assert len(dataset.CLASSES) == count
    assert dataset.get_gt_labels().tolist() == [0, count - 1]
    write_split(root, {'x/last.jpg': count})
    with pytest.raises(ValueError, match=rf'outside \[0, {count}\)'):
        FGVCDataset(data_root=root, name=name)


def test_num_classes_override(toy_root):
    dataset = cub(toy_root, 'val', num_classes=10)
    assert dataset.num_classes == 10 and len(dataset.CLASSES) == 10
    with pytest.raises(ValueError, match='outside'):
        cub(toy_root, 'val', num_classes=2)


@pytest.mark.parametrize('split,missing', [('test', 'test'),
                                           ('trainval', 'val')])
def test_missing_split_file(tmp_path, split, missing):
    root = write_layout(tmp_path, 'cub', {'a.jpg': 0})  # train.json only
    expected = osp.join(root, f'{missing}.json')
    with pytest.raises(FileNotFoundError, match=re.escape(expected)):
        cub(root, split)


def test_missing_image(tmp_path):
    root = write_layout(tmp_path, 'cub', {'a/present.jpg': 0})
    write_split(root, {'a/present.jpg': 0, 'b/absent.jpg': 1})
    split_file = osp.join(root, 'train.json')
    with pytest.raises(FileNotFoundError) as error:
        cub(root)
    message = str(error.value)
    assert '"b/absent.jpg"' in message
    assert split_file in message
    assert osp.join(root, 'images', 'b/absent.jpg') in message


@pytest.mark.parametrize('label', [NUM_CLASSES, NUM_CLASSES + 7, -1, 1.5, '2',
                                   None, [1], True])
def test_bad_label(tmp_path, label):
    root = write_layout(tmp_path, 'cub', {'a/good.jpg': 0, 'a/bad.jpg': 1})
    write_split(root, {'a/good.jpg': 0, 'a/bad.jpg': label})
    with pytest.raises(ValueError) as error:
        cub(root)
    message = str(error.value)
    assert '"a/bad.jpg"' in message
    assert osp.join(root, 'train.json') in message
    assert repr(json.loads(json.dumps(label))) in message


def test_unknown_name_and_split(toy_root):
    with pytest.raises(ValueError, match='unknown name "cub200"'):
        FGVCDataset(data_root=toy_root, name='cub200')
    with pytest.raises(ValueError, match='unknown split "training"'):
        FGVCDataset(data_root=toy_root, name='cub', split='training')
