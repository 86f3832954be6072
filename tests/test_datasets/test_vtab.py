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
from vpt_mm.datasets import VTAB1kDataset
from vpt_mm.tasks import VTAB_TASKS

# the paper's Tab. 7, in its order
PAPER_TASKS = dict(
    cifar100=100,
    caltech101=102,
    dtd=47,
    oxford_flowers102=102,
    oxford_pet=37,
    svhn=10,
    sun397=397,
    patch_camelyon=2,
    eurosat=10,
    resisc45=45,
    diabetic_retinopathy=5,
    clevr_count=8,
    clevr_dist=6,
    dmlab=6,
    kitti=4,
    dsprites_loc=16,
    dsprites_ori=16,
    smallnorb_azi=18,
    smallnorb_ele=9)
GROUPS = dict(natural=7, specialized=4, structured=8)
SPLITS = ('train800', 'val200', 'train800val200', 'test')
IMAGE_SHAPE = (30, 40)  # height, width of every generated image
# a dtd layout (47 classes): split -> [(path relative to the task, label)]
TRAIN = [('images/train800/000000.jpg', 0), ('images/train800/000001.png', 5),
         ('images/train800/000002.jpg', 46), ('images/train800/000003.png',
                                              12)]
VAL = [('images/val200/000000.png', 3), ('images/val200/000001.jpg', 46)]
LAYOUT = dict(
    train800=TRAIN,
    val200=VAL,
    train800val200=TRAIN + VAL,
    test=[('images/test/000000.jpg', 1), ('images/test/000001.jpg', 2),
          ('images/test/000002.png', 1)])
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]


def write_image(path, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, IMAGE_SHAPE + (3, ), dtype=np.uint8)
    assert cv2.imwrite(path, image)


def write_lines(root, folder, split, lines):
    """Write a split file verbatim; returns its path."""
    os.makedirs(osp.join(root, folder), exist_ok=True)
    split_file = osp.join(root, folder, f'{split}.txt')
    with open(split_file, 'w', newline='') as file:
        file.write(''.join(lines))
    return split_file


def write_task(root, folder, layout):
    """Images and split files ``<root>/<folder>/<split>.txt``."""
    root = str(root)
    for split, entries in layout.items():
        for index, (path, _) in enumerate(entries):
            write_image(osp.join(root, folder, path), seed=index)
        write_lines(root, folder, split,
                    [f'{path} {label}\n' for path, label in entries])
    return root


def build(root, task='dtd', split='train800', **kwargs):
    # serialize_data=False: mmengine's serialization runs gc.collect()
    # (about 0.3 s a build in a process holding torch)
    kwargs.setdefault('serialize_data', False)
    return VTAB1kDataset(
        data_root=root, task=task, split=split, pipeline=[], **kwargs)


def paths(dataset):
    return [
        dataset.get_data_info(index)['img_path']
        for index in range(len(dataset))
    ]


@pytest.fixture(scope='module')
def dtd_root(tmp_path_factory):
    return write_task(tmp_path_factory.mktemp('vtab'), 'dtd', LAYOUT)


def test_task_table():
    assert list(VTAB_TASKS) == list(PAPER_TASKS)
    assert {task: count
            for task, (count, _) in VTAB_TASKS.items()} == PAPER_TASKS
    groups = [group for _, group in VTAB_TASKS.values()]
    # natural first, then specialized, then structured
    assert groups == [
        group for group, count in GROUPS.items() for _ in range(count)
    ]
    assert len(VTAB_TASKS) == 19
    # vpt_mm.datasets re-exports the table of vpt_mm.tasks
    assert vpt_mm.datasets.VTAB_TASKS is VTAB_TASKS


@pytest.mark.parametrize('split', SPLITS)
def test_split(dtd_root, split):
    dataset = build(dtd_root, split=split)
    entries = LAYOUT[split]
    assert dataset.task == 'dtd' and dataset.split == split
    assert dataset.num_classes == 47
    assert dataset.CLASSES == tuple(str(k) for k in range(47))
    assert dataset.task_folder == osp.join(dtd_root, 'dtd')
    assert len(dataset) == len(entries)
    assert dataset.get_gt_labels().tolist() == [label for _, label in entries]
    assert paths(dataset) == [
        osp.join(dtd_root, 'dtd', path) for path, _ in entries
    ]
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert osp.isfile(info['img_path'])
        assert type(info['gt_label']) is int


def test_trainval_is_train_then_val(dtd_root):
    train, val = build(dtd_root), build(dtd_root, split='val200')
    trainval = build(dtd_root, split='train800val200')
    assert paths(trainval) == paths(train) + paths(val)
    assert trainval.get_gt_labels().tolist() == \
        train.get_gt_labels().tolist() + val.get_gt_labels().tolist()


def test_default_split_is_train800(dtd_root):
    dataset = VTAB1kDataset(data_root=dtd_root, task='dtd', pipeline=[])
    assert dataset.split == 'train800'
    assert len(dataset) == len(TRAIN)


@pytest.mark.parametrize('task,folder', [('cifar100', 'cifar100'),
                                         ('cifar100', 'cifar'),
                                         ('oxford_pet', 'oxford_pet'),
                                         ('oxford_pet', 'oxford_iiit_pet')])
def test_folder_names(tmp_path, task, folder):
    entries = [('images/a.jpg', 0), ('images/b.png', 1)]
    root = write_task(tmp_path, folder, dict(test=entries))
    dataset = build(root, task=task, split='test')
    assert dataset.task == task
    assert dataset.num_classes == PAPER_TASKS[task]
    assert dataset.task_folder == osp.join(root, folder)
    assert paths(dataset) == [osp.join(root, folder, p) for p, _ in entries]
    assert dataset.get_gt_labels().tolist() == [0, 1]


@pytest.mark.parametrize('task,alias', [('cifar100', 'cifar'),
                                        ('oxford_pet', 'oxford_iiit_pet')])
def test_canonical_folder_preferred(tmp_path, task, alias):
    root = write_task(tmp_path, task, dict(train800=[('x/canonical.jpg', 1)]))
    write_task(root, alias, dict(train800=[('x/alias.jpg', 2)],
                                 test=[('x/alias.jpg', 2)]))
    dataset = build(root, task=task)
    assert dataset.task_folder == osp.join(root, task)
    assert paths(dataset) == [osp.join(root, task, 'x/canonical.jpg')]
    assert dataset.get_gt_labels().tolist() == [1]
    # the canonical folder is used even for a split only the alias has:
    # the two folders are never mixed
    expected = osp.join(root, task, 'test.txt')
    with pytest.raises(FileNotFoundError, match=re.escape(expected)):
        build(root, task=task, split='test')


@pytest.mark.parametrize('alias', ['cifar', 'oxford_iiit_pet', 'CIFAR100',
                                   'imagenet', 'clevr', ''])
def test_unknown_task(tmp_path, alias):
    with pytest.raises(ValueError, match=f'unknown task "{alias}"') as error:
        build(str(tmp_path), task=alias)
    assert 'smallnorb_ele' in str(error.value)  # lists the choices


@pytest.mark.parametrize('split', ['train', 'val', 'trainval', 'train1000',
                                   'test.txt', 'TEST'])
def test_unknown_split(dtd_root, split):
    with pytest.raises(ValueError,
                       match=f'unknown split "{re.escape(split)}"') as error:
        build(dtd_root, split=split)
    assert 'train800val200' in str(error.value)


@pytest.mark.parametrize('task', list(PAPER_TASKS))
def test_every_task(tmp_path, task):
    count = PAPER_TASKS[task]
    root = write_task(tmp_path, task,
                      dict(train800=[('first.png', 0), ('last.png', count -
                                                        1)]))
    dataset = build(root, task=task)
    assert dataset.num_classes == count
    assert len(dataset.CLASSES) == count
    assert dataset.get_gt_labels().tolist() == [0, count - 1]
    group = VTAB_TASKS[task][1]
    index = list(PAPER_TASKS).index(task)
    assert group == ('natural' if index < 7 else
                     'specialized' if index < 11 else 'structured')
    split_file = write_lines(root, task, 'train800',
                             ['first.png 0\n', f'last.png {count}\n'])
    with pytest.raises(
            ValueError,
            match=re.escape(f'{split_file}:2: label {count} outside '
                            f'[0, {count})')):
        build(root, task=task)


def test_build_from_registry(dtd_root):
    cfg = dict(
        type='VTAB1kDataset',
        data_root=dtd_root,
        task='dtd',
        split='val200',
        pipeline=PIPELINE)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg)
    assert isinstance(dataset, VTAB1kDataset)
    assert len(dataset) == len(VAL)
    assert dataset.get_gt_labels().tolist() == [label for _, label in VAL]


def test_pipeline_output(dtd_root):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = VTAB1kDataset(
            data_root=dtd_root, task='dtd', split='test', pipeline=PIPELINE)
    for index in range(len(dataset)):
        sample = dataset[index]
        assert isinstance(sample['inputs'], torch.Tensor)
        assert sample['inputs'].shape == (3, 32, 32)
        assert sample['inputs'].dtype == torch.uint8
        data_sample = sample['data_samples']
        assert isinstance(data_sample, DataSample)
        assert data_sample.gt_label.tolist() == [LAYOUT['test'][index][1]]
        assert data_sample.ori_shape == IMAGE_SHAPE
        assert data_sample.img_shape == (32, 32)
        assert data_sample.img_path == dataset.get_data_info(index)[
            'img_path']


def test_num_classes_override(dtd_root):
    dataset = build(dtd_root, num_classes=60)
    assert dataset.num_classes == 60 and len(dataset.CLASSES) == 60
    split_file = osp.join(dtd_root, 'dtd', 'train800.txt')
    # line 3 of train800.txt has label 46
    with pytest.raises(
            ValueError,
            match=re.escape(f'{split_file}:3: label 46 outside [0, 10)')):
        build(dtd_root, num_classes=10)


def test_task_of_your_own(tmp_path):
    root = write_task(tmp_path, 'my_task',
                      dict(test=[('a.png', 0), ('b.png', 2)]))
    dataset = build(root, task='my_task', split='test', num_classes=3)
    assert dataset.num_classes == 3 and len(dataset.CLASSES) == 3
    assert paths(dataset) == [
        osp.join(root, 'my_task', name) for name in ('a.png', 'b.png')
    ]
    with pytest.raises(ValueError, match='unknown task "my_task"') as error:
        build(root, task='my_task', split='test')
    assert 'num_classes' in str(error.value)


@pytest.mark.parametrize('task,num_classes', [
    ('dtd', 0),
    ('my_task', 0),
    ('dtd', -1),
    ('my_task', -3),
    ('dtd', 2.0),
    ('dtd', '10'),
    ('dtd', True),
])
def test_bad_num_classes(dtd_root, task, num_classes):
    with pytest.raises(ValueError) as error:
        build(dtd_root, task=task, num_classes=num_classes)
    assert str(error.value) == ('VTAB1kDataset: num_classes must be a '
                                f'positive int, got {num_classes!r}')


def test_base_dataset_arguments_pass_through(dtd_root):
    dataset = build(dtd_root, split='test', indices=2)
    assert len(dataset) == 2
    assert dataset.get_gt_labels().tolist() == [1, 2]


def test_missing_split_file(tmp_path):
    root = write_task(tmp_path, 'dtd', dict(train800=[('a.jpg', 0)]))
    for split in ('val200', 'train800val200', 'test'):
        expected = osp.join(root, 'dtd', f'{split}.txt')
        with pytest.raises(FileNotFoundError) as error:
            build(root, split=split)
        assert expected in str(error.value)
        assert 'dtd' in str(error.value)


@pytest.mark.parametrize('task,tried', [
    ('cifar100', ['cifar100', 'cifar']),
    ('oxford_pet', ['oxford_pet', 'oxford_iiit_pet']),
    ('dtd', ['dtd']),
])
def test_missing_task_folder(tmp_path, task, tried):
    root = write_task(tmp_path, 'svhn', dict(train800=[('a.jpg', 0)]))
    with pytest.raises(FileNotFoundError) as error:
        build(root, task=task)
    message = str(error.value)
    assert str(tried) in message
    assert root in message


def test_task_folder_must_be_a_folder(tmp_path):
    root = str(tmp_path)
    write_image(osp.join(root, 'x.jpg'))
    with open(osp.join(root, 'cifar'), 'w') as file:
        file.write('x.jpg 0\n')  # a file named like the alias
    with pytest.raises(FileNotFoundError, match=re.escape("['cifar100', "
                                                          "'cifar']")):
        build(root, task='cifar100')


@pytest.mark.parametrize('bad', [
    'images/b.png',
    'images/b.png x',
    'images/b.png 1.5',
    'images/b.png 1e1',
    'images/b.png one',
    '3',
    ' 3',
    'images/b.png 1 extra',
])
def test_malformed_line(tmp_path, bad):
    root = write_task(tmp_path, 'dtd',
                      dict(train800=[('images/a.png', 0),
                                     ('images/b.png', 1)]))
    # line 4: blank and whitespace-only lines are counted
    split_file = write_lines(root, 'dtd', 'train800',
                             ['images/a.png 0\n', '\n', '   \n', bad + '\n',
                              'images/a.png 1\n'])
    with pytest.raises(ValueError) as error:
        build(root)
    message = str(error.value)
    assert message.startswith(f'{split_file}:4: ')
    assert repr(bad.strip()) in message
    assert '<image path> <int label>' in message


@pytest.mark.parametrize('label', ['47', '100', '-1', '-47'])
def test_label_out_of_range(tmp_path, label):
    root = write_task(tmp_path, 'dtd', dict(train800=[('a.png', 0)]))
    split_file = write_lines(root, 'dtd', 'train800',
                             ['a.png 0\n', 'a.png 46\n', f'a.png {label}\n'])
    with pytest.raises(ValueError) as error:
        build(root)
    assert str(error.value) == (f'{split_file}:3: label {int(label)} '
                                'outside [0, 47)')


def test_missing_image(tmp_path):
    root = write_task(tmp_path, 'dtd', dict(train800=[('images/here.jpg', 0)]))
    split_file = write_lines(root, 'dtd', 'train800',
                             ['images/here.jpg 0\n', '\n',
                              'images/gone.jpg 1\n'])
    with pytest.raises(FileNotFoundError) as error:
        build(root)
    message = str(error.value)
    assert message.startswith(f'{split_file}:3: ')
    assert osp.join(root, 'dtd', 'images/gone.jpg') in message


def test_lazy_init_defers_the_checks(tmp_path):
    root = write_task(tmp_path, 'dtd', dict(train800=[('a.jpg', 0)]))
    write_lines(root, 'dtd', 'train800', ['a.jpg 0\n', 'gone.jpg 0\n'])
    dataset = build(root, lazy_init=True)
    with pytest.raises(FileNotFoundError, match='gone.jpg'):
        dataset.full_init()


def test_blank_lines_ignored(tmp_path):
    root = write_task(tmp_path, 'dtd',
                      dict(test=[('a.jpg', 0), ('b.png', 1)]))
    write_lines(root, 'dtd', 'test', [
        '\n', '  \n', 'a.jpg 0\r\n', '\t\n', '\n', '  b.png 1  \n', '\n',
        '\n', 'a.jpg 2'
    ])  # CRLF, surrounding blanks, no newline at the end
    dataset = build(root, split='test')
    assert len(dataset) == 3
    assert dataset.get_gt_labels().tolist() == [0, 1, 2]
    assert paths(dataset) == [
        osp.join(root, 'dtd', name) for name in ('a.jpg', 'b.png', 'a.jpg')
    ]


def test_empty_split_file(tmp_path):
    root = str(tmp_path)
    split_file = write_lines(root, 'dtd', 'test', ['\n', '\n'])
    with pytest.raises(ValueError, match=re.escape(split_file)):
        build(root, split='test')


def test_paths_with_spaces_split_on_last_space(tmp_path):
    names = ['my images/cat 1.png', 'a  b/c d  e.jpg', 'plain.jpg']
    root = write_task(tmp_path, 'dtd',
                      dict(val200=[(name, k) for k, name in enumerate(names)]))
    dataset = build(root, split='val200')
    assert paths(dataset) == [osp.join(root, 'dtd', name) for name in names]
    assert dataset.get_gt_labels().tolist() == [0, 1, 2]


def test_relative_data_root(dtd_root, monkeypatch):
    monkeypatch.chdir(osp.dirname(dtd_root))
    dataset = build(osp.basename(dtd_root), split='val200')
    assert len(dataset) == len(VAL)
    assert [osp.abspath(path) for path in paths(dataset)] == [
        osp.join(dtd_root, 'dtd', path) for path, _ in VAL
    ]


@pytest.mark.parametrize('separator', ['\t', '  '])
def test_other_whitespace_separator(tmp_path, separator):
    root = write_task(tmp_path, 'dtd', dict(test=[('my a.png', 0)]))
    write_lines(root, 'dtd', 'test', [f'my a.png{separator}3\n'])
    dataset = build(root, split='test')
    assert paths(dataset) == [osp.join(root, 'dtd', 'my a.png')]
    assert dataset.get_gt_labels().tolist() == [3]
