"""The real-size check's code path (tools/analysis/check_real_size.py) on
tiny variants of the UperNet and Segmenter configs: the configs' own
pipelines, optimizer wrappers, strict weight loading and sliding windows,
with a narrow backbone and decoder and 32 px crops."""
import os.path as osp

import pytest

from vpt_mm.apis.real_size import check_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_VIT = """
model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=12,
                            num_heads=2, feedforward_channels=64)),
    decode_head=dict({head}),
    {rest})
"""
UPERNET = dict(
    config='upernet/upernet_vpt-deep-p10_vit-b16-in21k_mln_8xb2-160k_'
    'ade20k-512x512.py',
    head='in_channels=[32, 32, 32, 32], channels=16',
    rest='neck=dict(in_channels=[32, 32, 32, 32], out_channels=32), '
    'auxiliary_head=dict(in_channels=32, channels=16)')
SEGMENTER = dict(
    config='segmenter/segmenter_vpt-deep-p10_vit-b16-in21k_mask_8xb1-'
    '160k_ade20k-512x512.py',
    head='in_channels=32, channels=32, embed_dims=32, num_heads=2',
    rest='')


@pytest.mark.parametrize('family', [UPERNET, SEGMENTER],
                         ids=['upernet', 'segmenter'])
def test_tiny_variant_trains_and_slides(tmp_path, family):
    config = tmp_path / 'tiny.py'
    config.write_text(
        f"_base_ = ['{osp.join(ROOT, 'configs', family['config'])}']\n" +
        TINY_VIT.format(head=family['head'], rest=family['rest']))
    result = check_config(str(config), size=32)
    # one image of 32 x 48 px: two overlapping 32 px windows
    assert result['image_shape'] == result['pred_shape'] == (32, 48)
    assert result['loss'] > 0
    assert 0 < result['trainable'] < result['total']
    # UperNet's pyramid pooling needs two images for its BatchNorm
    assert result['train_batch'] == (2 if family is UPERNET else 1)


def test_a_typo_in_a_config_fails(tmp_path):
    config = tmp_path / 'typo.py'
    config.write_text(
        f"_base_ = ['{osp.join(ROOT, 'configs', UPERNET['config'])}']\n" +
        TINY_VIT.format(head=UPERNET['head'], rest=''))
    # the neck still expects 768 channels of the real ViT-B
    with pytest.raises(RuntimeError):
        check_config(str(config), size=32)
