"""The VTAB-1k configs for VPT on Swin-B, ConvNeXt-B and ResNet-50: the
paper's settings (A.1, Tabs. 6 and 8), and every config builds its model
(shrunk to a tiny arch) and optimizer; one per backbone trains a step on
the config's input size."""
import copy
import functools
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from vpt_mm.tasks import VTAB_TASKS
from vpt_mm.sweep.plan import PROMPT_KEY, task_from_config, tune_runs

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(ROOT, 'configs')
NAME = re.compile(r'(?P<method>vpt-shallow|vpt-deep|vpt)_'
                  r'(?P<backbone>swin-b-in21k|convnext-b-in21k|resnet50-in1k)'
                  r'_1xb(?P<batch>\d+)_vtab1k-(?P<task>[a-z0-9-]+)\.py')
FOLDERS = ('vpt-swin', 'vpt-convnext', 'vpt-resnet')
CONFIGS = sorted(
    path for folder in FOLDERS
    for path in glob.glob(osp.join(CONFIG_ROOT, folder, '*.py')))
# backbone: (folder, Tab. 8 VPT batch, A.1 prompt lengths, default p,
#            backbone type, checkpoint, head width)
BACKBONES = {
    'swin-b-in21k': ('vpt-swin', 80, [1, 5, 10, 50], 10, 'PromptedSwin',
                     'checkpoints/swin-b_in22k.pth', 1024),
    'convnext-b-in21k': ('vpt-convnext', 128, [1, 3, 5, 7, 9, 11], 5,
                         'PromptedConvNeXt',
                         'checkpoints/convnext-b_in22k.pth', 1024),
    'resnet50-in1k': ('vpt-resnet', 256, [1, 3, 5, 7, 9, 11], 5,
                      'PromptedResNet', 'checkpoints/resnet50_in1k.pth',
                      2048),
}
SGD_LRS = [50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05]
SHALLOW_EXTRA_LRS = [1000., 500., 250., 100.]
WEIGHT_DECAYS = [0.01, 0.001, 0.0001, 0.]
# tiny stand-ins, with the head width they give
TINY = {
    'PromptedSwin': (dict(
        arch=dict(embed_dims=8, depths=(2, 1, 1, 1), num_heads=(1, 1, 1, 1))),
                     64),
    'PromptedConvNeXt': (dict(
        arch=dict(depths=(1, 1, 1, 1), channels=(8, 8, 16, 16))), 16),
    'PromptedResNet': (dict(depth=18, stem_channels=8, base_channels=8), 64),
}
# one task per backbone trains a step
STEP_TASK = 'dtd'


def parse(path):
    match = NAME.fullmatch(osp.basename(path))
    assert match, f'{osp.basename(path)} does not follow the zoo naming'
    return (match.group('method'), match.group('backbone'),
            int(match.group('batch')), match.group('task').replace('-', '_'))


@functools.lru_cache(maxsize=None)
def load(path):
    return Config.fromfile(path)


def ids(paths):
    return [osp.relpath(path, CONFIG_ROOT) for path in paths]


def test_every_method_and_task_has_a_config():
    combos = sorted((parse(path)[:2], parse(path)[3]) for path in CONFIGS)
    expected = sorted(((method, backbone), task)
                      for method, backbone in [(
                          'vpt-shallow', 'swin-b-in21k'), (
                              'vpt-deep', 'swin-b-in21k'), (
                                  'vpt', 'convnext-b-in21k'), (
                                      'vpt', 'resnet50-in1k')]
                      for task in VTAB_TASKS)
    assert combos == expected


@pytest.mark.parametrize('path', CONFIGS, ids=ids(CONFIGS))
def test_config_has_the_papers_settings(path):
    method, backbone_name, batch, task = parse(path)
    folder, vpt_batch, lengths, default_p, backbone_type, checkpoint, \
        width = BACKBONES[backbone_name]
    cfg = load(path)
    classes = VTAB_TASKS[task][0]
    assert osp.basename(osp.dirname(path)) == folder
    # Tab. 8 batch, and the name says the same
    assert cfg.train_dataloader.batch_size == batch == vpt_batch
    # what the sweep tool reads
    assert (cfg.benchmark, cfg.task_name) == ('vtab1k', task)
    assert cfg.train_dataloader.dataset.split == 'train800val200'
    assert cfg.test_dataloader.dataset.task == task
    assert cfg.data_preprocessor.num_classes == classes
    assert cfg.model.head.num_classes == classes
    assert cfg.model.head.in_channels == width
    assert cfg.train_dataloader.dataset.pipeline[1].scale == (224, 224)

    backbone = cfg.model.backbone
    assert backbone.type == backbone_type and backbone.img_size == 224
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    assert 'prompt_length_grid' not in cfg
    assert backbone.prompt_cfg.num_tokens == default_p in lengths
    if backbone_type == 'PromptedSwin':
        assert (backbone.arch, backbone.window_size,
                backbone.out_type) == ('base', 7, 'avg_featmap')
        assert cfg.model.neck is None
        deep = method == 'vpt-deep'
        assert backbone.prompt_cfg == dict(
            num_tokens=default_p, deep=deep, dropout=0.1 if deep else 0.)
    else:
        assert backbone.prompt_cfg == dict(num_tokens=default_p)
        if backbone_type == 'PromptedResNet':
            assert backbone.depth == 50
        else:
            assert backbone.arch == 'base'

    # Tab. 6: SGD, its grid, warm-up + cosine over 100 epochs
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD' and optimizer.momentum == 0.9
    assert cfg.optim_wrapper.constructor == \
        'FrozenBackboneOptimWrapperConstructor'
    lrs = SGD_LRS + (SHALLOW_EXTRA_LRS if method == 'vpt-shallow' else [])
    assert sorted(cfg.sweep_grid['base_lr']) == sorted(lrs)
    assert sorted(cfg.sweep_grid['weight_decay']) == sorted(WEIGHT_DECAYS)
    # A.1: the sweep tool searches p as a third axis of the grid
    assert cfg.sweep_grid['num_tokens'] == lengths
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    with open(path) as file:
        code = [line for line in file
                if line.strip() and not line.lstrip().startswith('#')]
    assert len(code) <= 8


@pytest.mark.parametrize('path', CONFIGS, ids=ids(CONFIGS))
def test_config_builds(path, one_thread):
    from mmpretrain.registry import MODELS
    method, _, _, task = parse(path)
    cfg = load(path)
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.backbone
    tiny, width = TINY[backbone.type]
    if backbone.type == 'PromptedSwin':
        backbone.pop('arch')
    backbone.update(init_cfg=None, **tiny)
    model_cfg.head.in_channels = width
    model_cfg.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.init_weights()
    p = backbone.prompt_cfg.num_tokens
    assert model.backbone.prompt.num_tokens == p
    if backbone.type == 'PromptedSwin':  # tokens in the sequence
        assert model.backbone.num_prompt_tokens == p
    # the optimizer sees exactly the prompts and the head
    prompts = {id(param) for param in model.backbone.prompt.parameters()}
    head = {id(param) for param in model.head.parameters()}
    optimized = {
        id(param)
        for group in optim_wrapper.optimizer.param_groups
        for param in group['params']
    }
    assert optimized == prompts | head
    assert model.head.fc.out_features == VTAB_TASKS[task][0]
    if task != STEP_TASK:
        return
    # one step at the configs' input size (pixel prompts are built for it)
    from mmpretrain.structures import DataSample
    inputs = torch.rand(2, 3, 224, 224) * 255
    samples = [DataSample().set_gt_label(label) for label in (0, 1)]
    data = model.data_preprocessor(
        dict(inputs=list(inputs), data_samples=samples), True)
    model.train()
    before = {
        key: value.clone()
        for key, value in model.backbone.state_dict().items()
        if not key.startswith('prompt.')
    }
    losses = model(**data, mode='loss')
    optim_wrapper.update_params(losses['loss'])
    assert torch.isfinite(losses['loss'])
    after = model.backbone.state_dict()
    assert all(torch.equal(after[key], value) for key, value in before.items())


def test_the_sweep_searches_the_prompt_length(tmp_path):
    """What tools/sweep.py plans for one config of each backbone."""
    for backbone, settings in BACKBONES.items():
        lengths, default_p = settings[2:4]
        path = next(path for path in CONFIGS
                    if parse(path)[1] == backbone)
        cfg = load(path)
        spec = task_from_config(cfg, path, str(tmp_path))
        assert spec.num_tokens == lengths
        lrs, wds = cfg.sweep_grid['base_lr'], cfg.sweep_grid['weight_decay']
        runs = tune_runs(spec)
        assert len(runs) == len(lrs) * len(wds) * len(lengths)
        run = runs[1]
        assert run.name == f'lr{lrs[0]:g}_wd{wds[0]:g}_p{lengths[1]}_seed0'
        assert f'{PROMPT_KEY}={lengths[1]}' in run.cfg_options
        # the run's option reaches the backbone's prompts
        merged = copy.deepcopy(cfg)
        merged.merge_from_dict({PROMPT_KEY: lengths[1]})
        assert merged.model.backbone.prompt_cfg.num_tokens == lengths[1]
        assert cfg.model.backbone.prompt_cfg.num_tokens == default_p
