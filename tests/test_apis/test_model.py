"""build_model_from_config: a config's model as the Runner builds it."""
import pytest
import torch
from mmengine.config import Config

from vpt_mm.apis.model import build_model_from_config

PRETRAINED = dict(type='Pretrained', checkpoint='missing/vit-tiny.pth')


def tiny_config(wrapped=False):
    backbone = dict(
        type='PromptedViT',
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64),
        img_size=28,
        patch_size=7,
        in_channels=1,
        prompt_cfg=dict(num_tokens=2, deep=False),
        init_cfg=PRETRAINED)
    if wrapped:
        backbone = dict(type='BiasTuning', module=backbone)
    return Config(
        dict(
            default_scope='mmpretrain',
            data_preprocessor=dict(num_classes=3, mean=[10.], std=[2.]),
            model=dict(
                type='ImageClassifier',
                backbone=backbone,
                head=dict(type='LinearClsHead', num_classes=3,
                          in_channels=32),
                data_preprocessor=dict(std=[4.]))))


def test_top_level_preprocessor_merged_under_the_model_one():
    model = build_model_from_config(tiny_config())
    preprocessor = model.data_preprocessor
    assert preprocessor.mean.flatten().tolist() == [10.]
    assert preprocessor.std.flatten().tolist() == [4.]


@pytest.mark.parametrize('wrapped', [False, True])
def test_init_cfg_dropped_on_request(wrapped):
    cfg = tiny_config(wrapped)
    backbone = build_model_from_config(cfg, init_cfg=False).backbone
    prompted = backbone.module if wrapped else backbone
    assert prompted.init_cfg is None
    kept = build_model_from_config(cfg).backbone
    kept = kept.module if wrapped else kept
    assert kept.init_cfg == PRETRAINED
    # the config itself is left as it was
    inner = cfg.model.backbone.module if wrapped else cfg.model.backbone
    assert inner.init_cfg == PRETRAINED


def test_builds_on_the_meta_device():
    with torch.device('meta'):
        model = build_model_from_config(tiny_config(), init_cfg=False)
    assert all(param.is_meta for param in model.parameters())
