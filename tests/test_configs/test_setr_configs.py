"""The SETR-PUP ADE20K configs: mmseg's recipe, the paper's changes, and
the tunable parameters of each row of the paper's Tab. 3 on ViT-L/16."""
import os.path as osp

import mmseg
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SETR = osp.join(ROOT, 'configs', 'setr')
MMSEG_SETR_PUP = osp.join(
    osp.dirname(mmseg.__file__), '.mim', 'configs', 'setr',
    'setr_vit-l_pup_8xb2-160k_ade20k-512x512.py')
# Tab. 3: tunable parameters (M) of SETR-PUP on ViT-L/16
PAPER_TUNABLE = {
    'full': 318.31,
    'head_only': 13.18,
    'bias': 13.46,
    'vpt_deep': 13.43,
    'vpt_bias': 15.79,
}


# Tab. 3 row -> its config, in mmseg's naming:
# setr_{method}_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py
METHODS = {
    'full': 'full',
    'head_only': 'head-only',
    'bias': 'bias',
    'vpt_deep': 'vpt-deep-p10',
    'vpt_bias': 'vpt-deep-bias-p100',
}


def setr_config(method):
    """The file name of a configs/setr/ config (mmseg's naming)."""
    return f'setr_{method}_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py'


def load(name):
    return Config.fromfile(osp.join(SETR, setr_config(METHODS[name])))


def vit(cfg):
    backbone = cfg.model.backbone
    return backbone.module if backbone.type == 'BiasTuning' else backbone


@pytest.mark.parametrize('name', sorted(PAPER_TUNABLE))
def test_mmseg_setr_recipe(name):
    cfg = load(name)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports.imports == ['vpt_mm.modules']
    backbone = vit(cfg)
    assert backbone.arch == 'large' and backbone.patch_size == 16
    assert backbone.img_size == (512, 512)
    assert backbone.out_indices == (9, 14, 19, 23)
    assert backbone.out_type == 'featmap'
    assert not backbone.final_norm
    assert backbone.interpolate_mode == 'bilinear'
    assert backbone.init_cfg.checkpoint == 'checkpoints/vit-l16_in21k.pth'
    assert cfg.model.decode_head.type == 'SETRUPHead'
    assert cfg.model.decode_head.num_classes == 150
    assert [head.in_index for head in cfg.model.auxiliary_head] == [0, 1, 2]
    assert cfg.model.test_cfg == dict(
        mode='slide', crop_size=(512, 512), stride=(341, 341))
    assert cfg.train_cfg.max_iters == 160000
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs
    crop = cfg.train_dataloader.dataset.pipeline[3]
    assert crop.type == 'RandomCrop' and crop.crop_size == (512, 512)
    assert cfg.train_dataloader.dataset.type == 'ADE20KDataset'
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.
    assert cfg.param_scheduler[0].type == 'PolyLR'
    # multi-scale testing: mmseg's TTA, 6 ratios x 2 flips
    assert cfg.tta_model.type == 'SegTTAModel'
    resizes = cfg.tta_pipeline[1].transforms[0]
    assert [r.scale_factor for r in resizes] == [
        0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


def without_scopes(value):
    """A config as loaded from mmseg's own file: without the ``_scope_``
    that inheriting with ``mmseg::`` puts in each of its dicts."""
    if isinstance(value, dict):
        return {key: without_scopes(item) for key, item in value.items()
                if key != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(without_scopes(item) for item in value)
    return value


def test_full_is_mmsegs_config_with_our_backbone():
    """Everything but the backbone (mmpretrain's layout), our imports, the
    frozen-backbone optimizer constructor and per-rank seeds is mmseg's
    SETR-PUP ADE20K config, inherited."""
    ours = without_scopes(load('full').to_dict())
    theirs = Config.fromfile(MMSEG_SETR_PUP).to_dict()
    assert theirs['model'].pop('backbone')['type'] == 'VisionTransformer'
    assert ours['model'].pop('backbone')['type'] == \
        'mmpretrain.VisionTransformer'
    assert ours['optim_wrapper'].pop('constructor') == \
        'FrozenBackboneOptimWrapperConstructor'
    assert ours.pop('custom_imports') == dict(
        imports=['vpt_mm.modules'], allow_failed_imports=False)
    assert ours.pop('randomness')['diff_rank_seed']
    assert ours == theirs


def test_the_papers_changes():
    settings = {}
    for name in PAPER_TUNABLE:
        cfg = load(name)
        settings[name] = (
            vit(cfg).type, vit(cfg).get('prompt_cfg', {}).get('num_tokens'),
            cfg.optim_wrapper.optimizer.lr,
            cfg.optim_wrapper.paramwise_cfg.custom_keys['head']['lr_mult'])
    assert settings == {
        'full': ('mmpretrain.VisionTransformer', None, 0.001, 10.),
        'head_only': ('PromptedViT', 0, 0.005, 10.),
        'bias': ('PromptedViT', 0, 0.005, 10.),
        'vpt_deep': ('PromptedViT', 10, 0.005, 1.),
        'vpt_bias': ('PromptedViT', 100, 0.005, 1.),
    }
    assert load('vpt_deep').model.backbone.prompt_cfg.deep
    assert load('bias').model.backbone.type == 'BiasTuning'


def test_tunable_parameters_match_the_paper():
    tunable = {}
    for name in PAPER_TUNABLE:
        # shapes only (ViT-L costs nothing), in mmseg's scope for this test
        with torch.device('meta'), \
                DefaultScope.overwrite_default_scope('mmseg'):
            model = MODELS.build(load(name).model)
        tunable[name] = sum(
            p.numel() for p in model.parameters() if p.requires_grad)
        # the heads take image tokens of the last four outputs, 1024-d
        assert model.decode_head.in_channels == 1024
    # prompts: 24 layers x p x 1024; biases: 11,264 per layer + patches
    assert tunable['vpt_deep'] - tunable['head_only'] == 24 * 10 * 1024
    assert tunable['bias'] - tunable['head_only'] == 24 * 11264 + 1024
    assert tunable['vpt_bias'] - tunable['bias'] == 24 * 100 * 1024
    for name, paper in PAPER_TUNABLE.items():
        assert abs(tunable[name] / 1e6 - paper) / paper < 0.01, (
            name, tunable[name])


@pytest.mark.parametrize('name', sorted(METHODS))
def test_old_names_are_aliases_of_the_mmseg_style_names(name):
    """{row}_vitl_ade20k.py is one statement inheriting the renamed config
    and resolves to the same dict."""
    alias = osp.join(SETR, f'{name}_vitl_ade20k.py')
    with open(alias) as file:
        code = ' '.join(file.read().split())
    target = setr_config(METHODS[name])
    assert code in (f"_base_ = ['./{target}']", f"_base_ = [ './{target}' ]")
    assert Config.fromfile(alias).to_dict() == load(name).to_dict()
