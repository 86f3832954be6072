"""Prompt ensembling (Fig. 15): k runs' prompts and heads on one frozen
backbone, one batched forward, logits averaged; built from checkpoints."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.models.ensemble import PromptEnsemble, build_prompt_ensemble
from vpt_mm.checkpoint.strict import CheckpointMismatchError

TINY_ARCH = dict(
    embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def make_cfg(pretrained=None, **prompt_cfg):
    backbone = dict(
        type='PromptedViT', arch=TINY_ARCH, img_size=32, patch_size=8,
        prompt_cfg=dict(dict(num_tokens=3, deep=True, dropout=0.1),
                        **prompt_cfg))
    if pretrained:
        backbone['init_cfg'] = dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')
    return Config(dict(
        default_scope='mmpretrain',
        model=dict(
            type='ImageClassifier', backbone=backbone, neck=None,
            head=dict(type='LinearClsHead', num_classes=4, in_channels=32)),
        data_preprocessor=dict(num_classes=4)))


def make_runs(cfg, count):
    """``count`` runs of ``cfg``: one backbone, their own prompts and
    heads."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        first = MODELS.build(copy.deepcopy(cfg.model))
    first.init_weights()
    runs = [first]
    for seed in range(1, count):
        run = copy.deepcopy(first)
        torch.manual_seed(seed)
        with torch.no_grad():
            for name, param in run.named_parameters():
                if param.requires_grad:
                    param.normal_(std=0.5)
        runs.append(run)
    return [run.eval() for run in runs]


@pytest.fixture
def images():
    torch.manual_seed(0)
    return torch.randn(2, 3, 32, 32)


@pytest.mark.parametrize('prompt_cfg', [
    dict(),
    dict(layers='2->2', carry_prompts=False, sharing='intra'),
    dict(deep=False, location='prepend-pixel', dropout=0.),
    dict(deep=False, location='concat-channel', dropout=0.),
    dict(location='add', num_tokens=1),
])
def test_ensemble_is_the_mean_of_the_runs_in_one_forward(
        tmp_path, images, prompt_cfg):
    cfg = make_cfg(**prompt_cfg)
    runs = make_runs(cfg, 3)
    files = []
    for index, run in enumerate(runs):
        files.append(str(tmp_path / f'run{index}.pth'))
        torch.save({'state_dict': run.state_dict()}, files[-1])
    ensemble = build_prompt_ensemble(cfg, files)
    assert isinstance(ensemble, PromptEnsemble) and not ensemble.training
    batches = []
    ensemble.backbone.patch_embed.register_forward_hook(
        lambda module, args, out: batches.append(args[0].shape[0]))
    with torch.no_grad():
        logits = ensemble(images)
        expected = torch.stack([run(images) for run in runs]).mean(0)
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)
    # one backbone forward on the batch replicated per prompt set (plus a
    # one-sample pass for pixel prompts per set)
    assert batches[0] == 3 * 2
    # predictions: softmax of the averaged logits
    samples = [DataSample().set_gt_label(0) for _ in range(2)]
    with torch.no_grad():
        predicted = ensemble(images, samples, mode='predict')
    torch.testing.assert_close(
        torch.stack([s.pred_score for s in predicted]), logits.softmax(1))
    with pytest.raises(RuntimeError, match='evaluates only'):
        ensemble(images, samples, mode='loss')


def test_ensemble_refuses_runs_with_different_backbones(tmp_path):
    cfg = make_cfg()
    runs = make_runs(cfg, 2)
    with torch.no_grad():
        runs[1].backbone.layers[0].attn.qkv.bias.add_(1.)
    files = []
    for index, run in enumerate(runs):
        files.append(str(tmp_path / f'run{index}.pth'))
        torch.save({'state_dict': run.state_dict()}, files[-1])
    with pytest.raises(CheckpointMismatchError,
                       match=r'run1\.pth.*layers\.0\.attn\.qkv\.bias.*'
                       'differs'):
        build_prompt_ensemble(cfg, files)
    # a run of another prompt length
    state = runs[0].state_dict()
    state['backbone.prompt.shallow_prompt'] = torch.zeros(1, 5, 32)
    torch.save({'state_dict': state}, files[1])
    with pytest.raises(CheckpointMismatchError, match='shallow_prompt'):
        build_prompt_ensemble(cfg, files[:1] + files[1:])


def test_ensemble_of_delta_files(tmp_path, images):
    delta = pytest.importorskip('vpt_mm.models.delta')
    base = make_runs(make_cfg(), 1)[0]
    pretrained = str(tmp_path / 'pretrained.pth')
    torch.save({'state_dict': {
        key: value for key, value in base.state_dict().items()
        if key.startswith('backbone.') and '.prompt.' not in key}},
               pretrained)
    cfg = make_cfg(pretrained=pretrained)
    runs = make_runs(cfg, 2)
    files = [str(tmp_path / f'run{i}.delta.safetensors') for i in range(2)]
    for run, name in zip(runs, files):
        delta.save_delta(run, name)
    ensemble = build_prompt_ensemble(cfg, files)
    with torch.no_grad():
        expected = torch.stack([run(images) for run in runs]).mean(0)
        torch.testing.assert_close(ensemble(images), expected, atol=1e-5,
                                   rtol=1e-5)
