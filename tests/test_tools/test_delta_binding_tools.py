"""The tools that apply a delta refuse one that would give wrong numbers:
``tools/test.py`` (a delta, and ``--prompt-ensemble``) and
``merge_delta.py`` on a config without a pretrained backbone, on another
backbone of the same shape, with NaN tensors, or with the metadata of
another config; ``--allow-other-backbone`` applies it anyway."""
import copy
import importlib.util
import json
import os.path as osp
import re
import runpy
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from safetensors.torch import save_file

from vpt_mm.checkpoint.delta import read_delta
from vpt_mm.models.delta import save_delta
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')


# runners and mmseg's init_model set a global default scope (conftest.py)
pytestmark = pytest.mark.usefixtures('restore_default_scope')


def load_tool(path):
    spec = importlib.util.spec_from_file_location(
        'vpt_mm_tool_' + osp.basename(path)[:-3], osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Configs on backbones A, B (same shape) and none; a delta on A and
    its corrupt and foreign copies."""
    root = tmp_path_factory.mktemp('binding_tools')
    data = root / 'data'
    write_toy_fgvc(str(data), split_sizes=dict(train=1, val=1, test=1))
    loaders = '\n'.join(
        f"{split}_dataloader = dict(dataset=dict(data_root='{data}'))"
        for split in ('train', 'val', 'test'))
    configs = {'none': root / 'none.py'}
    configs['none'].write_text(f"_base_ = '{SMOKE}'\n{loaders}\n")
    for name, seed in (('a', 0), ('b', 1)):
        torch.manual_seed(seed)
        model = build(Config.fromfile(SMOKE))
        model.init_weights()
        torch.save({'state_dict': {
            key: value for key, value in model.state_dict().items()
            if key.startswith('backbone.') and '.prompt.' not in key}},
            root / f'{name}.pth')
        configs[name] = root / f'{name}.py'
        configs[name].write_text(
            f"_base_ = '{SMOKE}'\n"
            'model = dict(backbone=dict(init_cfg=dict(\n'
            "    _delete_=True, type='Pretrained',\n"
            f"    checkpoint='{root / f'{name}.pth'}', prefix='backbone.')))\n"
            f'{loaders}\n')
    model = build(Config.fromfile(str(configs['a'])))
    model.init_weights()
    deltas = {'a': str(root / 'a.delta.safetensors')}
    save_delta(model, deltas['a'], config=str(configs['a']))
    tensors, meta = read_delta(deltas['a'])
    nan = dict(tensors)
    nan['head.fc.weight'] = torch.full_like(nan['head.fc.weight'],
                                            float('nan'))
    deltas['nan'] = str(root / 'nan.delta.safetensors')
    save_file(nan, deltas['nan'], metadata=meta)
    swin = dict(meta, signature=json.dumps(
        dict(json.loads(meta['signature']), type='PromptedSwin')))
    deltas['swin'] = str(root / 'swin.delta.safetensors')
    save_file(tensors, deltas['swin'], metadata=swin)
    return root, {k: str(v) for k, v in configs.items()}, deltas, meta


def run_test_tool(setup, config, delta, *extra):
    root, configs, deltas, _ = setup
    load_tool('tools/test.py').main([
        configs[config], deltas[delta], '--work-dir',
        str(root / 'work'), *extra])


CASES = [
    ('none', 'a', r'trained on backbone [0-9a-f]{64} \(from .*a\.pth\) but '
     r"the model's backbone [0-9a-f]{64} is uninitialised"),
    ('b', 'a', r'trained on backbone [0-9a-f]{64} \(from .*a\.pth\) but '
     r"the model's backbone [0-9a-f]{64} \(from .*b\.pth\) is another"),
    ('a', 'nan', r'key "head.fc.weight" holds \d+ non-finite'),
    ('a', 'swin', r'"signature.type" is "PromptedSwin" in the delta but '
     r'"PromptedViT"'),
]


@pytest.mark.parametrize('config, delta, message', CASES)
def test_test_tool_refuses_a_misapplied_delta(setup, config, delta,
                                              message, capsys):
    with pytest.raises(SystemExit, match='^checkpoint: .*' + message):
        run_test_tool(setup, config, delta)
    assert 'accuracy/top1' not in capsys.readouterr().out


def test_test_tool_scores_the_delta_on_its_backbone_or_when_allowed(
        setup, capsys):
    run_test_tool(setup, 'a', 'a')
    assert re.search(r"'accuracy/top1': [\d.]+", capsys.readouterr().out)
    run_test_tool(setup, 'b', 'a', '--allow-other-backbone')
    out = capsys.readouterr()
    assert re.search(r"'accuracy/top1': [\d.]+", out.out)
    assert '--allow-other-backbone: ' in out.out + out.err


@pytest.mark.parametrize('config, delta, message', CASES)
def test_merge_delta_refuses_a_misapplied_delta(setup, config, delta,
                                                message, monkeypatch):
    root, configs, deltas, _ = setup
    out = root / f'merged_{config}_{delta}.pth'
    monkeypatch.setattr(sys, 'argv', [
        'merge_delta.py', configs[config], deltas[delta], str(out)])
    with pytest.raises(SystemExit, match='^merge_delta: .*' + message):
        runpy.run_path(
            osp.join(ROOT, 'tools', 'model_converters', 'merge_delta.py'),
            run_name='__main__')
    assert not out.exists()


@pytest.mark.parametrize('config, delta, message', CASES)
def test_prompt_ensemble_refuses_a_misapplied_delta(setup, config, delta,
                                                    message):
    root, configs, deltas, _ = setup
    with pytest.raises(SystemExit, match='^--prompt-ensemble: .*' + message):
        load_tool('tools/test.py').main([
            configs[config], '--prompt-ensemble', deltas['a'], deltas[delta],
            '--work-dir', str(root / 'ens')])
