"""tools/analysis/cls_prototypes.py: per-class means of the frozen
backbone's final CLS embedding over the training set, k-means beyond the
limit, a file that prompt_cfg.init='cls-prototype' reads."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from vpt_mm.models.backbones import PromptedViT
from vpt_mm.prompts.prototypes import class_means, kmeans

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_ARCH = dict(
    embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
CONFIG = """
default_scope = 'mmpretrain'
data_preprocessor = dict(mean=[127.5] * 3, std=[50.] * 3, to_rgb=True,
                         num_classes=3)
pipeline = [dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(32, 32)), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(
    type='VTAB1kDataset', data_root={root!r}, task='toy', num_classes=3,
    split='train800', pipeline=[dict(type='RandomFlip', prob=1.)]))
test_dataloader = dict(dataset=dict(pipeline=pipeline))
model = dict(type='ImageClassifier', backbone=dict(
    type='PromptedViT', arch={arch!r}, img_size=32, patch_size=8,
    prompt_cfg=dict(num_tokens=7, deep=True),
    init_cfg=dict(type='Pretrained', checkpoint={weights!r},
                  prefix='backbone.')))
"""


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'cls_prototypes', osp.join(ROOT, 'tools/analysis/cls_prototypes.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kmeans_finds_separated_clusters():
    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0., 0.], [10., 0.], [0., 10.]])
    points = (centres[:, None] + 0.1 * torch.randn(
        3, 20, 2, generator=generator)).reshape(60, 2)
    found = kmeans(points, 3)
    order = found[:, 0] * 3 + found[:, 1]
    torch.testing.assert_close(found[order.argsort()],
                               centres[[0, 2, 1]], atol=0.1, rtol=0)
    assert torch.equal(kmeans(points, 3), found)  # deterministic
    with pytest.raises(ValueError, match='k <= 60'):
        kmeans(points, 61)


def test_class_means_and_missing_classes():
    batches = [(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([0, 0])),
               (torch.tensor([[5., 6.]]), torch.tensor([1]))]
    torch.testing.assert_close(class_means(batches, 2),
                               torch.tensor([[2., 3.], [5., 6.]]))
    with pytest.raises(ValueError, match=r'classes \[2\]'):
        class_means(batches, 3)


def test_tool_writes_the_prototypes_prompts_start_from(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / 'toy'
    lines = []
    for index, label in enumerate([0, 1, 2, 0, 1, 2]):
        name = f'images/train800/{index:06d}.png'
        (folder / 'images' / 'train800').mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / name),
                    rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
        lines.append(f'{name} {label}\n')
    (folder / 'train800.txt').write_text(''.join(lines))
    backbone = PromptedViT(arch=TINY_ARCH, img_size=32, patch_size=8)
    backbone.init_weights()
    weights = str(tmp_path / 'vit.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in backbone.state_dict().items()}},
               weights)
    config = tmp_path / 'config.py'
    config.write_text(CONFIG.format(root=str(tmp_path), arch=TINY_ARCH,
                                    weights=weights))
    tool = load_tool()
    out = str(tmp_path / 'prototypes.npy')
    prototypes = tool.main([str(config), '--out', out, '--batch-size', '4'])
    assert prototypes.shape == (3, 32)
    # the mean final CLS of each class, from the test pipeline (no flip)
    backbone.eval()
    images = []
    for line in lines:
        image = cv2.imread(str(folder / line.split()[0]))
        image = cv2.resize(image, (32, 32))[..., ::-1].astype(np.float32)
        images.append(torch.from_numpy((image - 127.5) / 50.).permute(
            2, 0, 1))
    with torch.no_grad():
        cls = backbone(torch.stack(images))[-1]
    expected = torch.stack([cls[[0, 3]].mean(0), cls[[1, 4]].mean(0),
                            cls[[2, 5]].mean(0)])
    torch.testing.assert_close(torch.from_numpy(np.load(out)), expected,
                               atol=1e-4, rtol=1e-4)
    # the prompts of every layer start from them
    prompted = PromptedViT(
        arch=TINY_ARCH, img_size=32, patch_size=8,
        prompt_cfg=dict(num_tokens=3, deep=True, init='cls-prototype',
                        init_file=out))
    assert torch.equal(prompted.prompt.deep_prompt[0],
                       torch.from_numpy(np.load(out)))
    # more classes than the limit: k-means centroids
    fewer = tool.main([str(config), '--out', out, '--max-prototypes', '2'])
    assert fewer.shape == (2, 32)
