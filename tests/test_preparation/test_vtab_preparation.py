import os
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from vpt_mm.datasets import VTAB1kDataset
from vpt_mm.preparation import (TFDS_TASKS, check_task, normalise_release,
                                vtab_label, write_task)
from vpt_mm.tasks import VTAB_TASKS, VTAB_TEST_SIZES, split_size_differences
from vpt_mm.testing.fgvc_archives import image


def release_task(root, folder, sizes, joined=True):
    """A task folder of the shared release with ``sizes`` lines per
    split file."""
    lines = {}
    for split, count in sizes.items():
        lines[split] = []
        for index in range(count):
            path = f'images/{split}/{index:06d}.jpg'
            image(osp.join(root, folder, path))
            lines[split].append(f'{path} {index % 3}')
    if joined:
        lines['train800val200'] = lines['train800'] + lines['val200']
    for split, split_lines in lines.items():
        with open(osp.join(root, folder, f'{split}.txt'), 'w') as file:
            file.write('\n'.join(split_lines) + '\n')


def test_real_sizes_pass_the_check():
    for task in VTAB_TASKS:
        sizes = dict(train800=800, val200=200, train800val200=1000,
                     test=VTAB_TEST_SIZES[task])
        assert split_size_differences('vtab1k', task, sizes) == []
    assert split_size_differences('vtab1k', 'kitti', dict(test=710)) == [
        'vtab1k kitti: split test has 710 images, the paper (Tab. 7) has '
        '711']


def test_tfds_slices_have_the_protocol_sizes():
    assert set(TFDS_TASKS) == set(VTAB_TASKS)
    for task, spec in TFDS_TASKS.items():
        for split, size in (('train800', 800), ('val200', 200)):
            begin, end = re.fullmatch(r'\w+\[(\d*):(\d+)\]',
                                      getattr(spec, split)).groups()
            assert int(end) - int(begin or 0) == size, (task, split)
    # test carved out of TFDS' train split: what is left is Tab. 7's size
    for task, total in (('eurosat', 27000), ('resisc45', 31500),
                        ('dsprites_loc', 737280), ('smallnorb_azi', 24300)):
        begin = int(re.search(r'\[(\d+):\]', TFDS_TASKS[task].test)[1])
        assert total - begin == VTAB_TEST_SIZES[task]


def test_structured_labels():
    clevr = dict(objects=dict(size=np.zeros(5), pixel_coords=np.array(
        [[0., 0., 9.2], [0., 0., 12.]])))
    assert vtab_label('clevr_count', clevr) == 2
    assert vtab_label('clevr_dist', clevr) == 3
    kitti = dict(objects=dict(location=np.array([[0., 0., 4.], [0, 0, 9]]),
                              type=np.array([5, 1])))
    assert vtab_label('kitti', kitti) == 1  # the pedestrian is ignored
    kitti['objects']['type'] = np.array([5, 6])
    assert vtab_label('kitti', kitti) == 3  # no vehicle
    assert vtab_label('dsprites_loc', dict(label_x_position=31)) == 15
    assert vtab_label('dsprites_ori', dict(label_orientation=20)) == 8
    assert vtab_label('smallnorb_ele', dict(label_elevation=7)) == 7
    assert vtab_label('dtd', dict(label=46)) == 46


def test_release_is_checked_and_normalised(tmp_path, vtab_tool, capsys):
    root = str(tmp_path)
    release_task(root, 'cifar', dict(train800=4, val200=2, test=5),
                 joined=False)
    release_task(root, 'dtd', dict(train800=3, val200=2, test=2))
    assert vtab_tool.main(['check', root, '--strict']) == 1
    out = capsys.readouterr().out
    assert 'DIFFERS: vtab1k dtd: split train800 has 3 images, the paper ' \
        '(Tab. 7) has 800' in out
    assert 'split test has 2 images, the paper (Tab. 7) has 1,880' in out
    assert 'train800val200.txt is missing' in out
    assert vtab_tool.main(['check', root, '--normalise']) == 0
    out = capsys.readouterr().out
    assert f'renamed {osp.join(root, "cifar")}' in out
    assert 'vtab1k cifar100: train800 4, val200 2, train800val200 6, ' \
        'test 5 (3 labels)' in out
    assert not osp.exists(osp.join(root, 'cifar'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = VTAB1kDataset(root, 'cifar100', split='train800val200')
    assert len(dataset) == 6
    report = check_task(root, 'dtd', check_images=True)
    assert report.sizes['train800val200'] == 5 and report.num_classes == 3
    os.remove(osp.join(root, 'dtd', 'images', 'test', '000001.jpg'))
    assert any('1 missing image(s)' in line
               for line in check_task(root, 'dtd', True).differences)
    assert normalise_release(root) == []


def test_write_task(tmp_path):
    rng = np.random.default_rng(0)

    def examples(count, channels=3):
        for index in range(count):
            yield rng.integers(0, 255, (6, 5, channels), np.uint8), index % 2

    sizes = write_task(str(tmp_path), 'patch_camelyon', dict(
        train800=examples(4), val200=examples(2, 1), test=examples(3)))
    assert sizes == dict(train800=4, val200=2, test=3, train800val200=6)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = VTAB1kDataset(str(tmp_path), 'patch_camelyon',
                                split='train800val200')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [info['gt_label'] for info in infos] == [0, 1, 0, 1, 0, 1]
    assert infos[0]['img_path'].endswith(
        'patch_camelyon/images/train800/000000.png')


def test_tfds_path(tmp_path, vtab_tool, capsys):
    tfds = pytest.importorskip(
        'tensorflow_datasets',
        reason='tensorflow_datasets (optional) is not installed')
    with tfds.testing.mock_data(num_examples=4):
        assert vtab_tool.main(['tfds', str(tmp_path), '--tasks', 'dtd',
                               '--strict']) == 1
    out = capsys.readouterr().out
    assert 'vtab1k dtd: wrote train800 4, val200 4, test 4' in out
    assert 'split train800 has 4 images, the paper (Tab. 7) has 800' in out
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert len(VTAB1kDataset(str(tmp_path), 'dtd', split='test')) == 4
