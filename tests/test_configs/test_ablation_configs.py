"""configs/ablations/: the paper's ablation grids on the 19 VTAB-1k tasks.
Every variant has a config per task that inherits the zoo's VPT config of
that task and changes only the variant's settings (the prompt length and
batch only where the variant's rule asks); one task's configs build their
models (shrunk to a tiny ViT) with the variant they name."""
import copy
import glob
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
# test_config_zoo's cached Config.fromfile: its test_every_config_loads
# loads every config under configs/ too; one cache loads each once a session
from test_config_zoo import load

from vpt_mm.tasks import VTAB_TASKS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs')
ABLATIONS = sorted(glob.glob(osp.join(CONFIGS, 'ablations', '*.py')))
NAME = re.compile(r'(?P<variant>vpt-(deep|shallow)-[a-z0-9-]+)'
                  r'_vit-b16-in21k_1xb(?P<batch>\d+)'
                  r'_vtab1k-(?P<task>[a-z0-9-]+)\.py')
TASKS = sorted(VTAB_TASKS)
BUILD_TASK = 'cifar100'  # the task whose configs build their models
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


def parse_name(path):
    """(variant, batch in the name, task) of an ablation config."""
    match = NAME.fullmatch(osp.basename(path))
    assert match, f'{osp.basename(path)} breaks the naming scheme'
    return (match.group('variant'), int(match.group('batch')),
            match.group('task').replace('-', '_'))


def variant(path):
    return parse_name(path)[0]


def zoo_config(method, task):
    """The zoo's config of ``method`` (vpt-deep / vpt-shallow) on ``task``."""
    task = task.replace('_', '-')
    paths = glob.glob(osp.join(
        CONFIGS, 'vpt', f'{method}_vit-b16-in21k_1xb*_vtab1k-{task}.py'))
    assert len(paths) == 1, (method, task, paths)
    return paths[0], load(paths[0])


def prompt_length(prompt_values, zoo_length, classes):
    """The variant's p on a task: the zoo's (Tab. 13) unless the variant
    fixes it: one prompt per token of ViT-B/16 at 224 for 'add', one
    channel for 'concat-channel', none for [CLS]-Learned, one per class
    (at most 200, k-means beyond) for CLS prototypes."""
    if prompt_values.get('location') == 'add':
        return 197
    if prompt_values.get('location') == 'concat-channel':
        return 1
    if prompt_values.get('init') == 'cls-prototype':
        return min(classes, 200)
    return prompt_values.get('num_tokens', zoo_length)


def test_every_variant_has_a_config_for_every_vtab_task():
    assert len(TASKS) == 19
    found = sorted(parse_name(path)[::2] for path in ABLATIONS)
    assert found == sorted(
        (name, task) for name in EXPECTED for task in TASKS)


@pytest.mark.parametrize('task', TASKS)
def test_ablation_configs_follow_the_zoo_of_their_task(task):
    paths = [path for path in ABLATIONS if parse_name(path)[2] == task]
    assert len(paths) == len(EXPECTED)
    classes = VTAB_TASKS[task][0]
    for path in paths:
        name, batch_in_name, _ = parse_name(path)
        cfg = load(path)
        prompt_values, out_type = EXPECTED[name]
        method = 'vpt-deep' if name.startswith('vpt-deep-') else \
            'vpt-shallow'
        zoo_path, zoo = zoo_config(method, task)
        where = osp.basename(path)
        assert cfg.task_name == zoo.task_name == task, where
        assert cfg.model.head.num_classes == classes, where
        assert cfg.data_preprocessor.num_classes == classes, where
        assert zoo.model.head.num_classes == classes, where
        # the prompt: the zoo's with the variant's values and length
        prompt_cfg = cfg.model.backbone.prompt_cfg.to_dict()
        zoo_length = zoo.model.backbone.prompt_cfg.num_tokens
        length = prompt_length(prompt_values, zoo_length, classes)
        expected = dict(zoo.model.backbone.prompt_cfg.to_dict(),
                        **prompt_values)
        expected['num_tokens'] = length
        if prompt_values.get('init') == 'cls-prototype':
            expected['init_file'] = (
                f'work_dirs/prototypes/vtab1k-{task.replace("_", "-")}.npy')
        assert prompt_cfg == expected, where
        assert cfg.model.backbone.out_type == out_type, where
        # Tab. 8: batch 64 with 100 or more prompt tokens in the sequence;
        # the zoo's batch where the sequence is the zoo's
        in_sequence = 0 if prompt_cfg.get('location') in (
            'add', 'concat-channel') else length
        batch = cfg.train_dataloader.batch_size
        assert batch == batch_in_name, where
        if in_sequence == zoo_length:
            assert batch == zoo.train_dataloader.batch_size, where
        assert batch == (64 if in_sequence >= 100 else 128), where
        # everything else (data, protocol, schedule, sweep grid, runtime)
        # is the zoo config's
        mine, theirs = cfg.to_dict(), zoo.to_dict()
        for config in (mine, theirs):
            config['model']['backbone'].pop('prompt_cfg')
            config['model']['backbone'].pop('out_type')
            config['train_dataloader'].pop('batch_size')
        assert mine == theirs, where
        assert 'base_lr' in cfg.sweep_grid, where
        with open(path) as file:
            assert f"'../vpt/{osp.basename(zoo_path)}'" in file.read(), \
                f'{where} does not inherit the zoo config of its task'

# one thread: tiny models, where more threads only oversubscribe
pytestmark = pytest.mark.usefixtures('one_thread')


BUILT = [path for path in ABLATIONS
         if path.endswith(f'_vtab1k-{BUILD_TASK}.py')]


@pytest.mark.parametrize('path', BUILT, ids=map(variant, BUILT))
def test_ablation_config_builds(path, tmp_path):
    from mmpretrain.registry import MODELS
    cfg = load(path)
    prompt_values, out_type = EXPECTED[variant(path)]
    backbone = cfg.model.backbone
    for key, value in prompt_values.items():
        assert backbone.prompt_cfg[key] == value, key
    assert backbone.get('out_type') == out_type
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
    assert logits.shape == (1, VTAB_TASKS[BUILD_TASK][0])
