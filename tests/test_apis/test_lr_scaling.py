"""train.py --auto-scale-lr (vpt_mm.apis.lr_scaling): it turns scaling on
as mmpretrain's flag does, our schedules already have it on (the paper's
lr = base_lr x batch / 256), and a config without a base batch is a
one-line error naming the key."""
import os.path as osp

import pytest
from mmengine.config import Config

from vpt_mm.apis.lr_scaling import enable_auto_scale_lr

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_flag_turns_scaling_on():
    cfg = Config(dict(auto_scale_lr=dict(base_batch_size=256,
                                         enable=False)))
    enable_auto_scale_lr(cfg)
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)


@pytest.mark.parametrize('config', [
    'configs/_base_/schedules/vpt_sgd-100e.py',
    'configs/_base_/schedules/full_adamw-100e.py',
    'configs/vpt/vpt-deep_vit-b16-in21k_1xb128_cub.py',
])
def test_our_configs_scale_by_default(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)


@pytest.mark.parametrize('cfg', [{}, {'auto_scale_lr': {'enable': False}}])
def test_missing_base_batch_is_named(cfg):
    with pytest.raises(ValueError, match=r'^auto_scale_lr.base_batch_size:'):
        enable_auto_scale_lr(Config(cfg))
