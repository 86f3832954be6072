"""UperNet, UperNet + MultiLevelNeck and Segmenter configs on prompted
backbones: mmseg's own configs with our backbone, and the parameters each
row trains (the table of docs/segmentation.md)."""
import os.path as osp

import mmseg
import pytest
from mmengine.config import Config

from test_setr_configs import without_scopes
from vpt_mm.apis.model import build_model_from_config, meta_device
from vpt_mm.apis.real_size import inner_backbone

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMSEG = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs')
METHODS = ('full', 'head-only', 'bias', 'adapter-r8', 'vpt-deep-p10')
# family -> (folder, file pattern, mmseg's config, decode head, backbone)
FAMILIES = {
    'upernet-vit-in21k': (
        'upernet', 'upernet_{}_vit-b16-in21k_mln_8xb2-160k_ade20k-512x512.py',
        'vit/vit_vit-b16_mln_upernet_8xb2-160k_ade20k-512x512.py',
        'UPerHead', 'PromptedViT'),
    'upernet-vit-mae': (
        'upernet', 'upernet_{}_vit-b16-mae_8xb2-160k_ade20k-512x512.py',
        'mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py', 'UPerHead',
        'PromptedViT'),
    'upernet-swin': (
        'upernet', 'upernet_{}_swin-b-in21k_8xb2-160k_ade20k-512x512.py',
        'swin/swin-base-patch4-window7-in22k-pre_upernet_8xb2-160k_'
        'ade20k-512x512.py', 'UPerHead', 'PromptedSwin'),
    'segmenter-vit': (
        'segmenter',
        'segmenter_{}_vit-b16-in21k_mask_8xb1-160k_ade20k-512x512.py',
        'segmenter/segmenter_vit-b_mask_8xb1-160k_ade20k-512x512.py',
        'SegmenterMaskTransformerHead', 'PromptedViT'),
}
# (trainable, total) parameters of each config, 150 ADE20K classes
COUNTS = {
    'upernet-vit-in21k': {
        'full': (144173612, 144173612),
        'head-only': (57740588, 144173612),
        'bias': (57842732, 144173612),
        'adapter-r8': (59520428, 145953452),
        'vpt-deep-p10': (57832748, 144265772),
    },
    'upernet-vit-mae': {
        'full': (163286828, 163286828),
        'head-only': (76853804, 163286828),
        'bias': (76955948, 163286828),
        'adapter-r8': (78633644, 165066668),
        'vpt-deep-p10': (76945964, 163378988),
    },
    'upernet-swin': {
        'full': (121279716, 121279716),
        'head-only': (34534700, 121279716),
        'bias': (34672812, 121279716),
        'adapter-r8': (36293132, 123038148),
        'vpt-deep-p10': (34655020, 121400036),
    },
    'segmenter-vit': {
        'full': (102497580, 102497580),
        'head-only': (16063020, 102497580),
        'bias': (16165932, 102497580),
        'adapter-r8': (17842860, 104277420),
        'vpt-deep-p10': (16155180, 102589740),
    },
}


def config_path(family, method):
    folder, pattern = FAMILIES[family][:2]
    return osp.join(ROOT, 'configs', folder, pattern.format(method))


def count(cfg):
    """(trainable, total), built on the meta device."""
    with meta_device():
        model = build_model_from_config(cfg, init_cfg=False)
    params = list(model.parameters())
    return (sum(p.numel() for p in params if p.requires_grad),
            sum(p.numel() for p in params))


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_full_is_mmsegs_config_with_our_backbone(family):
    """Everything but the backbone (mmpretrain's layout, weights from our
    converted checkpoints), our imports and per-rank seeds is mmseg's
    (the MAE row: its layer decay over mmpretrain's layers)."""
    ours = without_scopes(
        Config.fromfile(config_path(family, 'full')).to_dict())
    theirs = Config.fromfile(osp.join(MMSEG, FAMILIES[family][2])).to_dict()
    theirs['model'].pop('backbone')
    theirs['model'].pop('pretrained')
    backbone = ours['model'].pop('backbone')
    assert backbone['type'].startswith('mmpretrain.')
    assert backbone['init_cfg']['checkpoint'].startswith('checkpoints/')
    assert ours['model'].pop('pretrained') is None
    assert ours.pop('custom_imports')['imports'] == ['vpt_mm.modules']
    assert ours.pop('randomness')['diff_rank_seed']
    if family == 'upernet-vit-mae':
        ours_optim, theirs_optim = (ours.pop('optim_wrapper'),
                                    theirs.pop('optim_wrapper'))
        assert ours_optim['optimizer'] == theirs_optim['optimizer']
        assert ours_optim['paramwise_cfg']['layer_decay_rate'] == \
            theirs_optim['paramwise_cfg']['layer_decay_rate'] == 0.65
    assert ours == theirs


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_methods_change_only_the_backbone_and_what_trains(family):
    full = Config.fromfile(config_path(family, 'full'))
    for method in METHODS[1:]:
        cfg = Config.fromfile(config_path(family, method))
        assert cfg.model.decode_head == full.model.decode_head
        assert cfg.model.get('neck') == full.model.get('neck')
        assert cfg.param_scheduler == full.param_scheduler
        assert cfg.optim_wrapper.optimizer == full.optim_wrapper.optimizer
        assert cfg.optim_wrapper.constructor == \
            'FrozenBackboneOptimWrapperConstructor'
        backbone = inner_backbone(cfg.model)
        assert backbone.type == FAMILIES[family][4]
        host = {k: v for k, v in full.model.backbone.items() if k != 'type'}
        assert {k: backbone[k] for k in host} == host
        assert cfg.model.decode_head.type == FAMILIES[family][3]
        assert cfg.custom_hooks == [dict(type='DeltaCheckpointHook')]


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_parameter_counts(family):
    counts = {
        method: count(Config.fromfile(config_path(family, method)))
        for method in METHODS
    }
    assert counts == COUNTS[family]
    trained = {method: c[0] for method, c in counts.items()}
    # the backbone trains only in Full; the decoder in every row
    assert counts['head-only'][1] == counts['full'][0]
    if family == 'upernet-swin':
        # p = 10 per block: 2, 2, 18, 2 blocks of 128, 256, 512, 1024
        assert trained['vpt-deep-p10'] - trained['head-only'] == \
            10 * (2 * 128 + 2 * 256 + 18 * 512 + 2 * 1024)
    else:
        # 12 layers x 10 prompts x 768; biases: 8448 per layer + patches;
        # adapters: 768 -> 96 -> 768 per layer
        assert trained['vpt-deep-p10'] - trained['head-only'] == \
            12 * 10 * 768
        final_norm = 768 if family == 'segmenter-vit' else 0
        assert trained['bias'] - trained['head-only'] == \
            12 * 8448 + 768 + final_norm
        assert trained['adapter-r8'] - trained['head-only'] == \
            12 * (768 * 96 + 96 + 96 * 768 + 768)
