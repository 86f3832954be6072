"""FrozenFeatureCacheHook: a run on cached frozen features has the losses,
final weights and validation score of the run on the images (Linear, and
late-layer prompts); the cache is reused from disk, and refused clearly
for random augmentation or a stochastic frozen part."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch import nn

from vpt_mm.engine.hooks import feature_cache_hook
from vpt_mm.models.frozen_part import FrozenPart, NotCacheable

pytestmark = pytest.mark.usefixtures('restore_default_scope')


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matmuls: one thread is faster than many on a loaded CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

TINY = dict(embed_dims=32, num_layers=3, num_heads=2,
            feedforward_channels=32)


def write_vtab_task(root, per_class=(8, 4)):
    """A 3-class VTAB-1k task folder (train800 / val200 split files over
    PNGs) with a few 16 x 16 images per class."""
    rng = np.random.default_rng(0)
    task = osp.join(root, 'toy')
    for split, count in zip(('train800', 'val200'), per_class):
        lines = []
        for label in range(3):
            for k in range(count):
                name = f'images/{split}_{label}_{k}.png'
                image = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
                image[..., label] = 255 - label * 40
                path = osp.join(task, name)
                os.makedirs(osp.dirname(path), exist_ok=True)
                cv2.imwrite(path, image)
                lines.append(f'{name} {label}\n')
        with open(osp.join(task, f'{split}.txt'), 'w') as file:
            file.writelines(lines)
    return str(root)


class Record(Hook):
    """The loss of every training iteration."""

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())


def make_runner(work_dir, data_root, prompt_cfg, cache=None,
                pipeline_extra=()):
    pipeline = [dict(type='LoadImageFromFile'), *pipeline_extra,
                dict(type='Resize', scale=(16, 16)),
                dict(type='PackInputs')]

    def loader(split, shuffle):
        return dict(batch_size=8, num_workers=0,
                    sampler=dict(type='DefaultSampler', shuffle=shuffle),
                    dataset=dict(type='VTAB1kDataset', data_root=data_root,
                                 task='toy', split=split, num_classes=3,
                                 pipeline=pipeline))

    record = Record()
    hooks = [record]
    if cache is not None:
        from mmengine.config import Config
        hook = feature_cache_hook(Config(dict(
            cache_frozen_features=cache, work_dir=str(work_dir),
            feature_cache_dir=str(work_dir.parent / 'cache'))))
        hooks.append(hook)
    runner = Runner(
        model=dict(
            type='ImageClassifier',
            data_preprocessor=dict(num_classes=3, mean=[127.5] * 3,
                                   std=[60.] * 3),
            backbone=dict(type='PromptedViT', arch=TINY, img_size=16,
                          patch_size=8, prompt_cfg=prompt_cfg),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=32,
                      loss=dict(type='CrossEntropyLoss'))),
        work_dir=str(work_dir),
        train_dataloader=loader('train800', True),
        val_dataloader=loader('val200', False),
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=2),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.5, momentum=0.9,
                                          weight_decay=1e-4)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=100),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=hooks,
        randomness=dict(seed=3),
        default_scope='mmpretrain')
    return runner, record


def train(tmp_path, name, prompt_cfg, cache=None):
    data_root = write_vtab_task(tmp_path / 'data') if not (
        tmp_path / 'data').exists() else str(tmp_path / 'data')
    runner, record = make_runner(tmp_path / name, data_root, prompt_cfg,
                                 cache)
    runner.train()
    metrics = runner.val_loop.run()
    state = {k: v.clone() for k, v in runner.model.state_dict().items()}
    return record.losses, state, metrics


@pytest.mark.parametrize('prompt_cfg', [
    dict(num_tokens=0),  # Linear: the whole backbone is cached
    dict(num_tokens=2, deep=True, layers='3->2'),  # layers 2, 3 prompted
], ids=['linear', 'late-prompts'])
def test_cached_run_equals_uncached_run(tmp_path, prompt_cfg, capsys):
    losses, state, metrics = train(tmp_path, 'plain', prompt_cfg)
    cached_losses, cached_state, cached_metrics = train(
        tmp_path, 'cached', prompt_cfg, cache=True)
    assert len(losses) == 2 * 3 and len(cached_losses) == len(losses)
    np.testing.assert_allclose(cached_losses, losses, rtol=1e-4, atol=1e-6)
    assert losses[0] != losses[-1]  # it trained
    assert set(state) == set(cached_state)
    for key, value in state.items():
        torch.testing.assert_close(cached_state[key], value, rtol=1e-4,
                                   atol=1e-6, msg=key)
    assert cached_metrics == pytest.approx(metrics)
    entries = [name for name in (tmp_path / 'cache').iterdir()
               if not name.name.startswith('.')]
    assert len(entries) == 2  # train800 and val200
    if prompt_cfg['num_tokens']:
        return
    # a second run (a grid point) reads the cache; same losses again
    capsys.readouterr()
    again, _, _ = train(tmp_path, 'again', prompt_cfg, cache=True)
    out = capsys.readouterr().out
    assert 'train_dataloader read from' in out and 'computed' not in out
    np.testing.assert_allclose(again, cached_losses, rtol=1e-5)


def test_random_augmentation_refused_or_skipped(tmp_path, capsys):
    data_root = write_vtab_task(tmp_path / 'data', per_class=(2, 1))
    flip = [dict(type='RandomFlip', prob=0.5)]
    runner, _ = make_runner(tmp_path / 'on', data_root, dict(num_tokens=0),
                            cache=True, pipeline_extra=flip)
    with pytest.raises(ValueError, match='train_dataloader.pipeline: '
                       'RandomFlip is not known to be deterministic'):
        runner.train()
    runner, record = make_runner(tmp_path / 'auto', data_root,
                                 dict(num_tokens=0), cache='auto',
                                 pipeline_extra=flip)
    runner.train()  # on the images
    assert 'frozen-feature cache off' in capsys.readouterr().out
    assert len(record.losses) == 2
    assert not (tmp_path / 'cache').exists()


def test_stochastic_or_trained_frozen_part_refused():
    model = nn.Module()
    model.backbone = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.backbone.requires_grad_(False)
    with pytest.raises(NotCacheable, match=r'backbone.1 \(Dropout\) is '
                       'stochastic'):
        FrozenPart(model).check_deterministic()
    model.backbone[0].weight.requires_grad_(True)
    with pytest.raises(NotCacheable, match='Sequential trains'):
        FrozenPart(model)


def test_config_switch():
    from mmengine.config import Config
    assert feature_cache_hook(Config(dict(work_dir='w'))) is None
    hook = feature_cache_hook(Config(dict(work_dir='w',
                                          feature_cache_dir='c')))
    assert hook == dict(type='FrozenFeatureCacheHook', cache_dir='c',
                        mode='auto')
    hook = feature_cache_hook(Config(dict(work_dir='w',
                                          cache_frozen_features=True)))
    assert hook['cache_dir'] == osp.join('w', 'feature_cache')
    assert feature_cache_hook(Config(dict(
        work_dir='w', feature_cache_dir='c',
        cache_frozen_features=False))) is None
    with pytest.raises(ValueError, match='cache_frozen_features must be'):
        feature_cache_hook(Config(dict(work_dir='w',
                                       cache_frozen_features='yes')))
