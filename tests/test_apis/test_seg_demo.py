"""The segmentation demo: fashion-scenes written from IDX files in the
ADE20K layout, its dataset, its configs' trainable parameters, and the
real path (tools/sweep.py on a SETR-PUP config by mIoU, then the table and
the picture of predictions)."""
import os
import os.path as osp
import runpy
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from vpt_mm.apis.seg_demo_data import (INK_THRESHOLD, SPLITS, compose_scene,
                                       expected_record, read_idx,
                                       scenes_record, write_fashion_scenes)
from vpt_mm.apis.seg_demo_report import (count_parameters, format_table,
                                         mean_std, read_results,
                                         write_report)
from vpt_mm.datasets import FashionScenesDataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/demo/{}_vit-tiny-p7-fmnist_setr-pup_fashion-scenes.py'
METHODS = ('head-only', 'bias', 'vpt-deep', 'vpt-bias', 'full')
NUM_ITEMS = 30


def write_idx(path, array):
    header = b'\x00\x00\x08' + bytes([array.ndim]) + b''.join(
        int(size).to_bytes(4, 'big') for size in array.shape)
    with open(path, 'wb') as file:
        file.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope='module')
def fmnist_dir(tmp_path_factory):
    """Tiny Fashion-MNIST test files: item k is a blob of grey 40 + 5k
    (unique, above the ink threshold) of class k % 10."""
    folder = tmp_path_factory.mktemp('fashion-mnist')
    rng = np.random.default_rng(0)
    images = np.zeros((NUM_ITEMS, 28, 28), np.uint8)
    for index in range(NUM_ITEMS):
        y0, x0 = rng.integers(0, 10, size=2)
        y1, x1 = rng.integers(16, 28, size=2)
        images[index, y0:y1, x0:x1] = 40 + 5 * index
        images[index, y0, x0] = 10  # faint: background, not ink
    write_idx(str(folder / 't10k-images-idx3-ubyte'), images)
    write_idx(str(folder / 't10k-labels-idx1-ubyte'),
              np.arange(NUM_ITEMS) % 10)
    return str(folder)


@pytest.fixture(scope='module')
def scenes(fmnist_dir, tmp_path_factory):
    root = str(tmp_path_factory.mktemp('fashion-scenes'))
    counts = write_fashion_scenes(
        root, fmnist_dir, seed=0,
        split_sizes=dict(training=6, validation=3, test=3))
    return root, counts


def test_scenes_in_the_ade20k_layout(scenes):
    root, counts = scenes
    assert counts == dict(training=6, validation=3, test=3)
    # the record of the options, whole, and no temporary file beside it
    assert scenes_record(root) == expected_record(0, counts)
    assert expected_record(1, counts) != scenes_record(root)
    assert sorted(os.listdir(root)) == ['annotations', 'images',
                                        'scenes.json']
    items_of = {}
    for split in SPLITS:
        names = sorted(os.listdir(osp.join(root, 'images', split)))
        assert len(names) == counts[split]
        assert names == sorted(
            os.listdir(osp.join(root, 'annotations', split)))
        items_of[split] = set()
        for name in names:
            image = cv2.imread(osp.join(root, 'images', split, name),
                               cv2.IMREAD_UNCHANGED)
            label = cv2.imread(osp.join(root, 'annotations', split, name),
                               cv2.IMREAD_UNCHANGED)
            assert image.shape == label.shape == (56, 56)
            # a class where an item's ink is, background elsewhere
            assert np.array_equal(label > 0, image > INK_THRESHOLD)
            items = (image[label > 0].astype(int) - 40) // 5
            assert np.array_equal(label[label > 0], items % 10 + 1)
            assert len(set(items.tolist())) >= 1
            # each item whole in its own 28 px cell, aligned with the
            # 7 px patches: one item per cell, two to four cells used
            used = 0
            for y in (0, 28):
                for x in (0, 28):
                    cell = label[y:y + 28, x:x + 28]
                    used += bool((cell > 0).any())
                    assert len(set(image[y:y + 28, x:x + 28][
                        cell > 0].tolist())) <= 1
            assert 2 <= used <= 4
            items_of[split] |= set(items.tolist())
    # no item is in two splits
    assert not items_of['training'] & items_of['validation']
    assert not (items_of['training'] | items_of['validation']) & items_of[
        'test']


def test_compose_scene_places_items_in_distinct_cells():
    rng = np.random.default_rng(0)
    items = np.full((4, 28, 28), 200, np.uint8)
    image, label = compose_scene(rng, items, np.array([0, 1, 2, 3]))
    assert sorted(np.unique(label).tolist()) == [1, 2, 3, 4]
    assert (image == 200).all()
    for y in (0, 28):
        for x in (0, 28):
            assert len(np.unique(label[y:y + 28, x:x + 28])) == 1
    with pytest.raises(ValueError, match='5 items of 28 x 28 px do not fit'):
        compose_scene(rng, np.zeros((5, 28, 28), np.uint8), np.zeros(5))


def test_bad_inputs_name_the_file(tmp_path, fmnist_dir):
    bad = tmp_path / 'bad-idx'
    bad.write_bytes(b'not an idx file')
    with pytest.raises(ValueError, match='bad-idx: not an unsigned-byte'):
        read_idx(str(bad))
    with pytest.raises(FileNotFoundError, match='t10k-images-idx3-ubyte'):
        write_fashion_scenes(str(tmp_path / 'out'), str(tmp_path))
    with pytest.raises(ValueError, match=r"unknown split\(s\) \['train'\]"):
        write_fashion_scenes(str(tmp_path / 'out'), fmnist_dir,
                             split_sizes=dict(train=2))


def test_dataset_reads_one_split_or_several(scenes):
    root, counts = scenes
    both = FashionScenesDataset(
        data_root=root, split='training+validation', pipeline=[],
        serialize_data=False)
    assert len(both) == counts['training'] + counts['validation']
    first = both.get_data_info(0)
    assert first['img_path'].endswith('images/training/scene_00000.png')
    assert first['seg_map_path'].endswith(
        'annotations/training/scene_00000.png')
    assert not first['reduce_zero_label']
    assert both.metainfo['classes'][0] == 'background'
    assert len(both.metainfo['classes']) == 11
    with pytest.raises(FileNotFoundError, match='images/val'):
        FashionScenesDataset(data_root=root, split='val', pipeline=[])


def test_trainable_parameters_of_the_demo_configs():
    counts = {
        method: count_parameters(osp.join(ROOT, CONFIG.format(method)))
        for method in METHODS
    }
    totals = {method: total for method, (_, total) in counts.items()}
    trainable = {method: count for method, (count, _) in counts.items()}
    head = trainable['head-only']
    # 8 deep prompts of width 128 in each of the 6 layers
    assert trainable['vpt-deep'] - head == 6 * 8 * 128
    assert totals['vpt-deep'] - totals['head-only'] == 6 * 8 * 128
    biases = trainable['bias'] - head
    assert 0 < biases < 0.01 * totals['bias']
    assert trainable['vpt-bias'] - head == biases + 6 * 8 * 128
    assert trainable['full'] == totals['full'] == totals['head-only']
    assert head < 0.1 * totals['head-only']


def test_mean_std_and_table():
    assert mean_std([1., 3.]) == (2., pytest.approx(2**0.5))
    assert mean_std([5.]) == (5., 0.)
    table = format_table([
        dict(method='VPT-deep', trainable=10, total=1000, base_lr=0.05,
             val=41.234, test_mean=40.06, test_std=1.04, seeds=2)
    ])
    assert '| VPT-deep | 10 (1.0%) | 0.05 | 41.2 | 40.1 ± 1.0 |' in table
    assert 'over 2 seed(s)' in table


def test_sweep_by_miou_then_table_and_picture(scenes, tmp_path,
                                              restore_default_scope):
    """tools/sweep.py on the Head-only SETR-PUP config (a mmseg:: base),
    scored by mIoU; then the report on its kept final checkpoint."""
    root, _ = scenes
    sweep_dir = str(tmp_path / 'sweep' / 'head-only')
    config = CONFIG.format('head-only')
    result = subprocess.run(
        [sys.executable, 'tools/sweep.py', config, '--work-dir', sweep_dir,
         '--metric', 'mIoU', '--lrs', '0.05', '--num-seeds', '1',
         '--cfg-options', 'model.backbone.init_cfg=None',
         'train_cfg.max_iters=2', 'train_dataloader.batch_size=2',
         f'train_dataloader.dataset.data_root={root}',
         f'val_dataloader.dataset.data_root={root}'],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[
        -2000:]
    # the log lines name the metric
    assert 'fashion-scenes: test mIoU' in result.stdout
    results = read_results(sweep_dir)
    assert results['metric'] == 'mIoU'
    assert results['final']['test_split'] == 'test'
    assert results['final']['runs'][0]['train_split'] == (
        'training+validation')
    score = results['final']['runs'][0]['top1']
    assert 0. <= score <= 100.
    with pytest.raises(FileNotFoundError, match='results.json'):
        read_results(str(tmp_path / 'nothing'))

    out_dir = str(tmp_path / 'report')
    report = write_report([('Head-only', sweep_dir)], root, out_dir,
                          num_images=2)
    assert f'{score:.1f} ± 0.0' in report['table']
    assert open(report['markdown']).read().strip() == report['table']
    picture = cv2.imread(report['picture'])
    # three columns (image, ground truth, Head-only) of 168 px tiles
    assert picture.shape[1] == 3 * (168 + 4)
    assert picture.shape[0] > 2 * 168
    # the ground-truth column holds the palette's colours
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.model.decode_head.num_classes == 11


def test_prepare_tool_rewrites_scenes_of_an_older_version(
        tmp_path, fmnist_dir, monkeypatch, capsys):
    """prepare_seg_demo_data.py keeps scenes written with the same options
    by this version and writes anew those of an older one (no record)."""
    out = tmp_path / 'scenes'
    tool = osp.join(ROOT, 'tools', 'misc', 'prepare_seg_demo_data.py')
    monkeypatch.setattr(sys, 'argv', [
        tool, '--fashion-mnist', fmnist_dir, '--out', str(out),
        '--training', '3', '--validation', '2', '--test', '2'
    ])

    def run():
        runpy.run_path(tool, run_name='__main__')
        return capsys.readouterr().out

    assert 'fashion-scenes in' in run()
    assert 'already in' in run()
    (out / 'scenes.json').unlink()  # as an older version left them
    stale = out / 'images' / 'training' / 'scene_00009.png'
    stale.write_bytes(b'')
    assert 'writing them anew' in run()
    assert not stale.exists()
    assert len(os.listdir(out / 'images' / 'training')) == 3
