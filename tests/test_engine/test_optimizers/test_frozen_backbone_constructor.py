import logging
import re

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as PRETRAIN_CONSTRUCTORS
from mmpretrain.structures import DataSample
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as SEG_CONSTRUCTORS
from torch import nn

from vpt_mm.engine.optimizers import (FrozenBackboneOptimWrapperConstructor,
                                      trainable_report)

CONSTRUCTOR = 'FrozenBackboneOptimWrapperConstructor'
TRAINABLE = ('backbone.prompt.shallow_prompt', 'backbone.prompt.deep_prompt',
             'head.fc.weight', 'head.fc.bias')
BASE_LR = 0.1
BASE_WD = 1e-4


@pytest.fixture
def model():
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=dict(
                    type='PromptedViT',
                    arch=dict(
                        embed_dims=32,
                        num_layers=2,
                        num_heads=2,
                        feedforward_channels=64),
                    img_size=32,
                    patch_size=8,
                    prompt_cfg=dict(num_tokens=3, deep=True)),
                head=dict(
                    type='LinearClsHead', num_classes=4, in_channels=32)))


def build(model, scope='mmpretrain', weight_decay=BASE_WD, **kwargs):
    optimizer = dict(type='SGD', lr=BASE_LR, momentum=0.9)
    if weight_decay is not None:
        optimizer['weight_decay'] = weight_decay
    cfg = dict(optimizer=optimizer, constructor=CONSTRUCTOR, **kwargs)
    with DefaultScope.overwrite_default_scope(scope):
        return build_optim_wrapper(model, cfg)


class Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def optimized(optim_wrapper):
    params = [
        param for group in optim_wrapper.optimizer.param_groups
        for param in group['params']
    ]
    assert len(params) == len({id(param) for param in params})
    return {id(param) for param in params}


def groups_by_name(model, optim_wrapper):
    names = {id(param): name for name, param in model.named_parameters()}
    return {
        names[id(group['params'][0])]: group
        for group in optim_wrapper.optimizer.param_groups
    }


def expected_trainable(model):
    named = dict(model.named_parameters())
    assert [name for name, param in named.items()
            if param.requires_grad] == list(TRAINABLE)
    return {id(named[name]) for name in TRAINABLE}


def test_registered_for_both_hosts():
    assert PRETRAIN_CONSTRUCTORS.get(CONSTRUCTOR) is \
        FrozenBackboneOptimWrapperConstructor
    assert SEG_CONSTRUCTORS.get(CONSTRUCTOR) is \
        FrozenBackboneOptimWrapperConstructor


def test_mmseg_scope_builds():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    model[0].requires_grad_(False)
    optim_wrapper = build(model, scope='mmseg')
    assert optimized(optim_wrapper) == {id(p) for p in model[1].parameters()}


def test_only_trainable_parameters_without_paramwise_cfg(model):
    optim_wrapper = build(model)
    assert optimized(optim_wrapper) == expected_trainable(model)
    for group in optim_wrapper.optimizer.param_groups:
        assert group['lr'] == BASE_LR
        assert group['weight_decay'] == BASE_WD


def test_model_wrapper_is_unwrapped(model):

    class Wrapper(nn.Module):

        def __init__(self, module):
            super().__init__()
            self.module = module

    optim_wrapper = build(Wrapper(model))
    assert optimized(optim_wrapper) == expected_trainable(model)


def test_paramwise_cfg_custom_keys(model):
    optim_wrapper = build(
        model,
        paramwise_cfg=dict(
            custom_keys={
                'head': dict(lr_mult=10.),
                'deep_prompt': dict(decay_mult=0.)
            }))
    assert optimized(optim_wrapper) == expected_trainable(model)
    groups = groups_by_name(model, optim_wrapper)
    assert set(groups) == set(TRAINABLE)
    assert groups['head.fc.weight']['lr'] == pytest.approx(10 * BASE_LR)
    assert groups['head.fc.bias']['lr'] == pytest.approx(10 * BASE_LR)
    assert groups['backbone.prompt.shallow_prompt']['lr'] == BASE_LR
    assert groups['backbone.prompt.deep_prompt']['lr'] == BASE_LR
    assert groups['backbone.prompt.deep_prompt']['weight_decay'] == 0.
    assert groups['backbone.prompt.shallow_prompt']['weight_decay'] == \
        BASE_WD


def test_paramwise_cfg_host_fields(model):
    optim_wrapper = build(
        model, paramwise_cfg=dict(bias_decay_mult=0., bias_lr_mult=2.))
    groups = groups_by_name(model, optim_wrapper)
    assert set(groups) == set(TRAINABLE)
    assert groups['head.fc.bias']['weight_decay'] == 0.
    assert groups['head.fc.bias']['lr'] == pytest.approx(2 * BASE_LR)
    assert groups['head.fc.weight']['weight_decay'] == BASE_WD


def test_logs_trainable_report(model):
    records = Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(records)
    try:
        build(model)
    finally:
        logger.removeHandler(records)
    pattern = re.compile(
        r'^trainable ([\d,]+) / total ([\d,]+) \((\d+\.\d\d)%\)$')
    reports = [m for m in map(pattern.match, records.messages) if m]
    assert len(reports) == 1
    trainable, total, percent = reports[0].groups()
    # prompts 2 x (3 x 32), head 32 x 4 + 4
    assert int(trainable.replace(',', '')) == 2 * 3 * 32 + 32 * 4 + 4
    assert int(total.replace(',', '')) == sum(
        param.numel() for param in model.parameters())
    assert float(percent) == round(100 * 324 / int(total.replace(',', '')),
                                   2)
    assert reports[0].string == trainable_report(model)
    # the per-parameter "skipped" warnings of the host are not repeated
    assert not [m for m in records.messages if 'requires_grad' in m]


def test_trainable_report_format():
    layer = nn.Linear(1000, 2)  # 2,002 parameters
    layer.bias.requires_grad_(False)
    assert trainable_report(layer) == \
        'trainable 2,000 / total 2,002 (99.90%)'
    assert trainable_report(nn.ReLU()) == 'trainable 0 / total 0 (0.00%)'


def test_training_leaves_frozen_weights_untouched(model):
    optim_wrapper = build(
        model, paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}))
    before = {
        name: value.clone()
        for name, value in model.state_dict().items()
    }
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(3):
        data = dict(
            inputs=[
                torch.rand(3, 32, 32, generator=generator) * 255
                for _ in range(4)
            ],
            data_samples=[DataSample().set_gt_label(i) for i in range(4)])
        log_vars = model.train_step(data, optim_wrapper)
        assert torch.isfinite(log_vars['loss'])
    after = model.state_dict()
    assert set(after) == set(before)
    for name, value in after.items():
        if name in TRAINABLE:
            assert not torch.equal(value, before[name]), name
        else:
            assert torch.equal(value, before[name]), name
    state = optim_wrapper.optimizer.state
    assert {id(param) for param in state} == expected_trainable(model)
    for param_state in state.values():
        assert 'momentum_buffer' in param_state


def test_unknown_paramwise_field(model):
    with pytest.raises(ValueError, match='bias_lr_mul'):
        build(model, paramwise_cfg=dict(bias_lr_mul=2.))


def test_unknown_custom_key_field(model):
    with pytest.raises(ValueError, match=r'custom_keys\["head"\].*lr_mul'):
        build(
            model, paramwise_cfg=dict(custom_keys={'head': dict(lr_mul=10.)}))


@pytest.mark.parametrize('weight_decay', [BASE_WD, None])
def test_custom_key_not_a_dict(model, weight_decay):
    with pytest.raises(TypeError, match=r'custom_keys\["head"\]'):
        build(
            model,
            weight_decay=weight_decay,
            paramwise_cfg=dict(custom_keys={'head': 10.}))


def test_custom_key_matching_nothing(model):
    with pytest.raises(ValueError, match='"haed".*matches no parameter'):
        build(
            model, paramwise_cfg=dict(custom_keys={'haed': dict(lr_mult=10.)}))


def test_no_trainable_parameter(model):
    model.requires_grad_(False)
    with pytest.raises(ValueError, match='no trainable parameter'):
        build(model)
