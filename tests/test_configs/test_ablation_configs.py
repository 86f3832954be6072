"""configs/ablations/: every config of the paper's ablation grids builds its
model (shrunk to a tiny ViT) with the variant it names, on the zoo's
settings."""
import copy
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ABLATIONS = sorted(glob.glob(osp.join(ROOT, 'configs', 'ablations', '*.py')))
TINY_ARCH = dict(
    embed_dims=32, num_layers=12, num_heads=2, feedforward_channels=32)
# file name -> (prompt_cfg values, out_type) the config must set
EXPECTED = {
    'vpt-deep-add': (dict(location='add', deep=True), 'cls_token'),
    'vpt-shallow-add': (dict(location='add', deep=False), 'cls_token'),
    'vpt-shallow-prepend-pixel': (dict(location='prepend-pixel'),
                                  'cls_token'),
    'vpt-shallow-concat-channel': (dict(location='concat-channel'),
                                   'cls_token'),
    'vpt-deep-image-pool': (dict(), 'image_pool'),
    'vpt-deep-prompt-pool': (dict(), 'prompt_pool'),
    'vpt-deep-global-pool': (dict(), 'global_pool'),
    'vpt-deep-shared-intra': (dict(sharing='intra', deep=True), 'cls_token'),
    'vpt-shallow-shared-intra': (dict(sharing='intra'), 'cls_token'),
    'vpt-deep-shared-inter': (dict(sharing='inter'), 'cls_token'),
    'vpt-deep-shared-all': (dict(sharing='all'), 'cls_token'),
    'vpt-deep-random-fixed': (dict(trainable=False, deep=True), 'cls_token'),
    'vpt-shallow-random-fixed': (dict(trainable=False), 'cls_token'),
    'vpt-deep-cls-prototype': (dict(init='cls-prototype'), 'cls_token'),
    'vpt-deep-cls-prototype-fixed': (dict(init='cls-prototype',
                                          trainable=False), 'cls_token'),
    'vpt-shallow-cls-learned': (dict(num_tokens=0, train_cls_token=True),
                                'cls_token'),
}
for a, b in ((1, 3), (1, 6), (1, 9), (3, 12), (6, 12), (9, 12)):
    EXPECTED[f'vpt-deep-layers{a}to{b}'] = (dict(layers=f'{a}->{b}'),
                                            'cls_token')


def variant(path):
    return osp.basename(path).split('_')[0]


def test_every_variant_has_a_config():
    assert sorted(map(variant, ABLATIONS)) == sorted(EXPECTED)


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize('path', ABLATIONS, ids=map(variant, ABLATIONS))
def test_ablation_config_builds(path, tmp_path):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(path)
    prompt_values, out_type = EXPECTED[variant(path)]
    backbone = cfg.model.backbone
    for key, value in prompt_values.items():
        assert backbone.prompt_cfg[key] == value, key
    assert backbone.get('out_type') == out_type
    # inherited from the zoo: task, protocol, grid, schedule
    assert cfg.task_name == 'cifar100' and cfg.benchmark == 'vtab1k'
    assert cfg.model.head.num_classes == 100
    # Tab. 8: batch 64 for 100 or more prompt tokens in the sequence
    in_sequence = 0 if backbone.prompt_cfg.get('location') in (
        'add', 'concat-channel') else backbone.prompt_cfg.num_tokens
    assert cfg.train_dataloader.batch_size == (
        64 if in_sequence >= 100 else 128)
    assert 'base_lr' in cfg.sweep_grid
    # the model on a tiny 12-layer ViT with 32 px patches (50 tokens)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.update(arch=TINY_ARCH, patch_size=32, init_cfg=None)
    if backbone.prompt_cfg.get('location') == 'add':
        assert backbone.prompt_cfg.num_tokens == 197  # ViT-B/16 at 224
        model_cfg.backbone.prompt_cfg.num_tokens = 50
    model_cfg.head.in_channels = 32
    if backbone.prompt_cfg.get('init') == 'cls-prototype':
        prototypes = str(tmp_path / 'prototypes.npy')
        np.save(prototypes, np.ones(
            (backbone.prompt_cfg.num_tokens, 32), np.float32))
        model_cfg.backbone.prompt_cfg.init_file = prototypes
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optimized = {
        id(p)
        for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    }
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert optimized == trainable
    head = {id(p) for p in model.head.parameters()}
    prompt = model.backbone.prompt
    prompts = {id(p) for p in prompt.parameters()} if prompt else set()
    extra = {id(model.backbone.cls_token)} if \
        backbone.prompt_cfg.get('train_cls_token') else set()
    trains_prompts = backbone.prompt_cfg.get('trainable', True)
    assert trainable == head | extra | (prompts if trains_prompts else set())
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 224, 224))
    assert logits.shape == (1, 100)
