"""tools/analysis/plain_transfer.py: the plain PyTorch check of the tool
chain sees the pixels the mm pipeline gives and learns a separable task."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS

from vpt_mm.models.backbones import PromptedViT

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_ARCH = dict(
    embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
CONFIG = """
_base_ = {base!r}
data_root = {root!r}
model = dict(backbone=dict(
    arch={arch!r}, img_size=28, patch_size=7, in_channels={channels},
    init_cfg=dict(checkpoint={weights!r})), head=dict(in_channels=32,
                                                      num_classes=2))
_dataset = dict(data_root=data_root, task='toy', num_classes=2)
train_dataloader = dict(batch_size=8, dataset=_dataset)
val_dataloader = dict(dataset=_dataset)
test_dataloader = val_dataloader
"""


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'plain_transfer',
        osp.join(ROOT, 'tools/analysis/plain_transfer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_task(root, channels=1):
    """Two classes: horizontal or vertical stripes, 20 x 24 px, noisy."""
    rng = np.random.default_rng(0)
    folder = root / 'toy'
    (folder / 'images').mkdir(parents=True)
    lines = {'train800val200': [], 'test': []}
    for split, count in (('train800val200', 24), ('test', 10)):
        for index in range(count):
            label = index % 2
            image = rng.integers(0, 60, (20, 24, channels), dtype=np.uint8)
            if label == 0:
                image[::4] += 150
            else:
                image[:, ::4] += 150
            name = f'images/{split}_{index:03d}.png'
            cv2.imwrite(str(folder / name), image)
            lines[split].append(f'{name} {label}\n')
    for split, split_lines in lines.items():
        (folder / f'{split}.txt').write_text(''.join(split_lines))


def make_config(tmp_path, channels=1):
    write_task(tmp_path / 'vtab', channels)
    backbone = PromptedViT(arch=TINY_ARCH, img_size=28, patch_size=7,
                           in_channels=channels)
    backbone.init_weights()
    weights = str(tmp_path / 'vit.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in backbone.state_dict().items()}},
               weights)
    base = osp.join(ROOT,
                    'configs/demo/vpt-deep_vit-tiny-p7-fmnist_1xb64_'
                    'digits1k.py')
    path = tmp_path / 'task.py'
    path.write_text(CONFIG.format(base=base, root=str(tmp_path / 'vtab'),
                                  arch=TINY_ARCH, channels=channels,
                                  weights=weights))
    return str(path), backbone.state_dict()


@pytest.mark.parametrize('channels,to_rgb', [(1, False), (3, True)])
def test_pixels_equal_the_mm_pipeline(tmp_path, channels, to_rgb):
    config, _ = make_config(tmp_path, channels)
    cfg = Config.fromfile(config)
    mean, std = [70.] * channels, [90.] * channels
    pipeline = [
        dict(type='LoadImageFromFile',
             color_type='grayscale' if channels == 1 else 'color'),
        dict(type='Resize', scale=(28, 28)),
        dict(type='PackInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(
            dict(cfg.train_dataloader.dataset.to_dict(), split='test',
                 pipeline=pipeline))
        preprocessor = MODELS.build(
            dict(type='ClsDataPreprocessor', mean=mean, std=std,
                 to_rgb=to_rgb))
        samples = [dataset[index] for index in range(len(dataset))]
        expected = preprocessor(
            dict(inputs=[s['inputs'] for s in samples],
                 data_samples=[s['data_samples'] for s in samples]))
        images, labels = load_tool().load_split(
            cfg.train_dataloader.dataset.to_dict(), 'test', 28, channels,
            mean, std, to_rgb)
    torch.testing.assert_close(images, expected['inputs'])
    assert labels.tolist() == [
        sample.gt_label.item() for sample in expected['data_samples']
    ]


def test_learns_a_separable_task(tmp_path):
    config, _ = make_config(tmp_path)
    result = load_tool().main(
        [config, '--lr', '2.5', '--wd', '0.0001', '--epochs', '10'])
    assert result['train_split'] == 'train800val200'
    assert result['test_split'] == 'test' and result['epochs'] == 10
    assert result['top1'] == 100.0
    assert result['last_loss'] < 0.2
    # not learned at lr 0: the small initial head gives chance-level loss
    still = load_tool().main(
        [config, '--lr', '0', '--wd', '0.0001', '--epochs', '1'])
    assert still['last_loss'] == pytest.approx(np.log(2), abs=0.05)


def test_refuses_other_heads_and_optimizers(tmp_path):
    config, _ = make_config(tmp_path)
    with pytest.raises(ValueError, match='LinearClsHead with SGD; this '
                       'config has MlpClsHead'):
        load_tool().main([config, '--lr', '1', '--wd', '0', '--cfg-options',
                          'model.head.type=MlpClsHead'])
