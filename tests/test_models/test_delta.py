"""Delta checkpoints: what is saved, the round trip, strict loading, and the
tools (train.py's hook, test.py, merge_delta.py) end to end."""
import json
import os.path as osp
import re
import runpy
import sys

import pytest
import torch
from mmpretrain.registry import MODELS

from vpt_mm.checkpoint.delta import read_delta
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.models.delta import (apply_delta, delta_keys, delta_state_dict,
                                 save_delta)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCH = dict(embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64)


def classifier(backbone_init=None):
    """VPT-deep + Bias with an Mlp-2 head (BN statistics in the delta)."""
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(
            type='BiasTuning',
            module=dict(type='PromptedViT', arch=ARCH, img_size=32,
                        patch_size=16, out_type='cls_token',
                        prompt_cfg=dict(num_tokens=2, deep=True),
                        init_cfg=backbone_init)),
        head=dict(type='MlpClsHead', num_classes=3, in_channels=32,
                  num_layers=2, dropout=0.1,
                  loss=dict(type='CrossEntropyLoss'))))


@pytest.fixture
def pretrained(tmp_path):
    torch.manual_seed(0)
    host = MODELS.build(dict(type='VisionTransformer', arch=ARCH,
                             img_size=32, patch_size=16))
    path = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in host.state_dict().items()}}, path)
    return dict(type='Pretrained', checkpoint=path, prefix='backbone.')


def train_steps(model, steps=3):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.5)
    model.train()
    for _ in range(steps):
        logits = model(torch.randn(4, 3, 32, 32), mode='tensor')
        loss = torch.nn.functional.cross_entropy(
            logits, torch.tensor([0, 1, 2, 0]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_delta_round_trip_equals_the_trained_model(pretrained, tmp_path):
    torch.manual_seed(1)
    model = classifier(pretrained)
    model.init_weights()
    train_steps(model)
    keys = delta_keys(model)
    assert 'backbone.prompt.deep_prompt' in keys
    assert 'backbone.layers.0.attn.qkv.bias' in keys
    assert 'head.layers.0.2.running_mean' in keys  # the head's BN
    assert 'head.fc.weight' in keys
    assert 'backbone.layers.0.attn.qkv.weight' not in keys
    assert 'backbone.layers.0.ln1.weight' not in keys
    path = str(tmp_path / 'run.delta.safetensors')
    save_delta(model, path, config='a.py', extra_meta=dict(epoch=3))
    tensors, meta = read_delta(path)
    assert sorted(tensors) == sorted(keys)
    assert meta['config'] == 'a.py' and meta['epoch'] == '3'
    assert json.loads(meta['methods']) == [
        'ImageClassifier', 'BiasTuning', 'PromptedViT', 'MlpClsHead']
    # the delta is small: biases, prompts and head of a 2-layer model
    assert sum(t.numel() for t in tensors.values()) < 0.2 * sum(
        p.numel() for p in model.parameters())

    torch.manual_seed(2)
    fresh = classifier(pretrained)
    fresh.init_weights()  # the shared pretrained backbone
    apply_delta(fresh, tensors, path)
    model.eval()
    fresh.eval()
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(images, mode='tensor'),
                           fresh(images, mode='tensor'))
    for key, value in model.state_dict().items():
        assert torch.equal(value, fresh.state_dict()[key]), key


def test_delta_loading_is_strict(pretrained):
    model = classifier()
    tensors = delta_state_dict(model)
    bad = dict(tensors)
    bad['backbone.prompt.deep_prompt'] = torch.zeros(1, 5, 32)
    with pytest.raises(CheckpointMismatchError,
                       match=r'"backbone.prompt.deep_prompt" has shape'):
        apply_delta(model, bad, 'x')
    missing = {k: v for k, v in tensors.items() if k != 'head.fc.bias'}
    with pytest.raises(CheckpointMismatchError, match='head.fc.bias'):
        apply_delta(model, missing, 'x')
    frozen = dict(tensors)
    frozen['backbone.cls_token'] = model.state_dict()['backbone.cls_token']
    with pytest.raises(CheckpointMismatchError, match='frozen'):
        apply_delta(model, frozen, 'x')
    unknown = dict(tensors, **{'backbone.nope': torch.zeros(1)})
    with pytest.raises(CheckpointMismatchError, match='backbone.nope'):
        apply_delta(model, unknown, 'x')


CONFIG = """
_base_ = '{root}/configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='BiasTuning',
        module=dict(
            type='PromptedViT',
            arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                      feedforward_channels=64),
            img_size=32, patch_size=8, out_type='cls_token',
            prompt_cfg=dict(num_tokens=4, deep=True, dropout=0.1),
            init_cfg=dict(type='Pretrained', checkpoint='backbone.pth',
                          prefix='backbone.'))))
data_root = 'data'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=100)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=4))
custom_hooks = [dict(type='DeltaCheckpointHook')]
"""


def run_tool(tool, *args, cwd, monkeypatch, capsys):
    """Run a tool's main() in this process, as ``python tools/TOOL ARGS``
    from ``cwd`` (no second interpreter start-up: seconds on 2 cores)."""
    monkeypatch.chdir(cwd)
    path = osp.join(ROOT, 'tools', *tool.split('/'))
    monkeypatch.setattr(sys, 'argv', [path, *args])
    capsys.readouterr()
    runpy.run_path(path, run_name='__main__')
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_train_saves_deltas_that_test_and_merge_use(tmp_path, monkeypatch,
                                                    capsys):
    from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
    from vpt_mm.testing import write_toy_fgvc
    sys.path.insert(0, osp.join(ROOT, 'tools', 'model_converters'))
    try:
        from merge_delta import merge
    finally:
        sys.path.pop(0)
    write_toy_fgvc(str(tmp_path / 'data'))
    torch.manual_seed(0)
    host = MODELS.build(dict(type='VisionTransformer', arch=ARCH,
                             img_size=32, patch_size=8))
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in host.state_dict().items()}},
               str(tmp_path / 'backbone.pth'))
    config = tmp_path / 'bias_tiny.py'
    config.write_text(CONFIG.format(root=ROOT))
    run_tool('train.py', str(config), '--work-dir', 'work', cwd=tmp_path,
             monkeypatch=monkeypatch, capsys=capsys)
    delta = tmp_path / 'work' / 'iter_4.delta.safetensors'
    assert delta.is_file()
    assert (tmp_path / 'work' / 'last_delta').read_text() == str(delta)
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        full = torch.load(str(tmp_path / 'work' / 'iter_4.pth'),
                          map_location='cpu')['state_dict']
    tensors, meta = read_delta(str(delta))
    assert meta['iter'] == '4' and meta['config'].endswith('bias_tiny.py')
    for key, value in tensors.items():  # the trained values
        assert torch.equal(value, full[key]), key
    # frozen weights are the pretrained file's, bit for bit
    for key, value in host.state_dict().items():
        if f'backbone.{key}' not in tensors:
            assert torch.equal(full[f'backbone.{key}'], value), key
    assert not torch.equal(full['backbone.layers.0.attn.qkv.bias'],
                           host.state_dict()['layers.0.attn.qkv.bias'])

    # merge_delta: backbone from init_cfg + delta == the run's checkpoint
    merged = str(tmp_path / 'merged.pth')
    merge(str(config), str(delta), merged)  # in tmp_path: init_cfg's file
    merged_state = torch.load(merged, map_location='cpu')['state_dict']
    assert sorted(merged_state) == sorted(full)
    for key, value in full.items():
        assert torch.equal(merged_state[key], value), key

    # tools/test.py with the delta: backbone from init_cfg, delta on top
    # (its .pth path is tested with the zoo's runs; the merged file above
    # equals the run's checkpoint)
    out = run_tool('test.py', str(config), str(delta), '--work-dir', 'test',
                   cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert 'Loaded the delta' in out and f'{len(tensors)} trained' in out
    assert re.search(r"\{'accuracy/top1': [\d.]+\}", out), out[-2000:]
