"""The PEFT config zoo: Partial-1, Mlp-3, Sidetune, Bias, Adapter (r = 8),
VPT-deep + Bias and VPT-shallow + Bias on ViT-B/16 for the 24 FGVC and
VTAB-1k tasks, inheriting the zoo's dataset bases; one config per method
built on a tiny ViT and trained one step."""
import copy
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs')
# method: (folder, Tab. 8 batch (None: VPT's rule), optimizer, backbone)
METHODS = {
    'partial-1': ('partial', 1280, 'AdamW', 'PartialTuning'),
    'bias': ('bias', 128, 'AdamW', 'BiasTuning'),
    'adapter-r8': ('adapter', 128, 'AdamW', 'AdapterTuning'),
    'mlp-3': ('mlp', 2048, 'SGD', 'PromptedViT'),
    'sidetune': ('sidetune', 128, 'SGD', 'SideTuning'),
    'vpt-deep-bias': ('vpt-bias', None, 'SGD', 'BiasTuning'),
    'vpt-shallow-bias': ('vpt-bias', None, 'SGD', 'BiasTuning'),
}
NAME = re.compile(r'(?P<method>[\w-]+?)_vit-b16-in21k_1xb(?P<batch>\d+)_'
                  r'(?P<data>[\w-]+)\.py')
TINY = dict(embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64)


def zoo_facts():
    """Per task: dataset base and class count (the Linear configs), VPT
    prompt lengths (the VPT configs)."""
    facts = {}
    for path in glob.glob(osp.join(CONFIGS, 'linear', '*.py')):
        data = NAME.fullmatch(osp.basename(path)).group('data')
        text = open(path).read()
        facts[data] = dict(
            base=re.search(r"'(\.\./_base_/datasets/[^']+)'", text).group(1),
            classes=re.search(r'num_classes=(\d+)', text).group(0))
    for path in glob.glob(osp.join(CONFIGS, 'vpt', '*.py')):
        match = NAME.fullmatch(osp.basename(path))
        code = '\n'.join(line for line in open(path)
                         if not line.lstrip().startswith('#'))
        tokens = re.search(r'num_tokens=(\d+)', code)
        facts[match.group('data')][match.group('method')] = int(
            tokens.group(1))
    return facts


def peft_configs():
    return sorted(
        path for method, (folder, *_) in METHODS.items()
        for path in glob.glob(osp.join(CONFIGS, folder, f'{method}_*.py')))


def test_every_method_on_the_24_tasks_inherits_the_zoo():
    facts = zoo_facts()
    assert len(facts) == 24
    paths = peft_configs()
    assert len(paths) == 7 * 24
    seen = set()
    for path in paths:
        match = NAME.fullmatch(osp.basename(path))
        assert match, path
        method, data = match.group('method'), match.group('data')
        folder, batch, *_ = METHODS[method]
        text = open(path).read()
        fact = facts[data]
        assert f"'../_base_/methods/{method}_vit-b16-in21k.py'" in text
        assert f"'{fact['base']}'" in text and fact['classes'] in text
        if batch is None:  # VPT's rule: the task's p, batch 64 for p >= 100
            length = fact[method[:-len('-bias')]]
            assert f'num_tokens={length})' in text, path
            batch = 64 if length >= 100 else 128
        assert int(match.group('batch')) == batch, path
        assert (f'batch_size={batch})' in text) == (batch != 128), path
        code = [line for line in text.splitlines()
                if line.strip() and not line.startswith('#')]
        assert len(code) <= 8, path
        seen.add((method, data))
    assert len(seen) == 7 * 24


def tiny(cfg):
    model = copy.deepcopy(cfg.model)
    backbone = model.backbone
    inner = backbone.get('module', backbone)
    inner.update(arch=TINY, img_size=32, patch_size=16, init_cfg=None)
    model.head.in_channels = 32
    if model.head.type == 'MlpClsHead':
        model.head.hidden_channels = 16
    model.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    return model


@pytest.mark.parametrize('method', list(METHODS))
def test_method_settings_build_and_step(method):
    from mmpretrain.registry import MODELS
    folder, _, optimizer, backbone_type = METHODS[method]
    [path] = glob.glob(
        osp.join(CONFIGS, folder, f'{method}_*_vtab1k-dtd.py'))
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.type == backbone_type
    if backbone_type != 'PromptedViT':
        module = cfg.model.backbone.module
        assert module.init_cfg.checkpoint == 'checkpoints/vit-b16_in21k.pth'
        assert module.arch == 'b' and module.patch_size == 16
    assert cfg.optim_wrapper.optimizer.type == optimizer
    assert cfg.optim_wrapper.constructor == \
        'FrozenBackboneOptimWrapperConstructor'
    lrs = cfg.sweep_grid['base_lr']
    assert (0.005 in lrs) == (optimizer == 'AdamW')
    assert dict(type='DeltaCheckpointHook') in cfg.custom_hooks
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.model.head.num_classes == 47

    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(tiny(cfg))
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups
                 for p in group['params']}
    assert optimized == trainable
    assert set(map(id, model.head.parameters())) <= trainable
    frozen = model.backbone.state_dict(keep_vars=True)
    assert not frozen['layers.0.attn.qkv.weight'].requires_grad
    if 'bias' in method:
        assert frozen['layers.0.attn.qkv.bias'].requires_grad
    if method.startswith('vpt'):
        assert frozen['prompt.shallow_prompt'].requires_grad
    size = 64 if method == 'sidetune' else 32
    model.train()
    inputs = torch.randn(2, 3, size, size)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i) for i in (0, 46)]
    losses = model(inputs, samples, mode='loss')
    optim_wrapper.update_params(losses['loss'])
    assert torch.isfinite(losses['loss'])


def test_every_method_base_saves_deltas_once():
    """``_base_/default_runtime.py`` configures the DeltaCheckpointHook for
    every classification config (it writes nothing for Full); a base that
    names it again does not duplicate it (lists merge by replacement)."""
    paths = sorted(glob.glob(osp.join(CONFIGS, '_base_', 'methods', '*.py')))
    assert len(paths) >= 35
    for path in paths + [
            osp.join(CONFIGS, 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')
    ]:
        hooks = Config.fromfile(path).custom_hooks
        assert hooks == [dict(type='DeltaCheckpointHook')], path
