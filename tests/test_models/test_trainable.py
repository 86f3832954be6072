"""The one trained contract: every prompted backbone and PEFT wrapper says
what it trains (``trained_parameters``: exactly the parameters with
``requires_grad``) and which modules train as a whole
(``trained_modules``: the only ones in train mode after ``train()``)."""
import copy

import pytest
import torch
from mmpretrain.registry import MODELS

from vpt_mm.models.trainable import answers_trained_contract

VIT = dict(
    type='PromptedViT',
    arch=dict(embed_dims=32, num_layers=2, num_heads=2,
              feedforward_channels=64),
    img_size=32, patch_size=16, out_type='cls_token')
SWIN = dict(type='PromptedSwin',
            arch=dict(embed_dims=16, depths=[1, 2], num_heads=[1, 1]),
            img_size=32, window_size=2, out_indices=(1, ))
RESNET = dict(type='PromptedResNet', depth=18, stem_channels=8,
              base_channels=8, out_indices=(3, ), img_size=32)
CASES = dict(
    vpt_deep=dict(VIT, prompt_cfg=dict(num_tokens=2, deep=True)),
    vpt_fixed_cls=dict(VIT, prompt_cfg=dict(
        num_tokens=2, trainable=False, train_cls_token=True)),
    linear=dict(VIT, prompt_cfg=dict(num_tokens=0)),
    swin_deep=dict(SWIN, prompt_cfg=dict(num_tokens=2, deep=True)),
    resnet_border=dict(RESNET, prompt_cfg=dict(num_tokens=2)),
    vpt_bias=dict(type='BiasTuning',
                  module=dict(VIT, prompt_cfg=dict(num_tokens=2))),
    partial_resnet=dict(type='PartialTuning', module=dict(
        type='ResNet', depth=18, stem_channels=8, base_channels=8,
        out_indices=(3, ))),
    adapter_vpt=dict(type='AdapterTuning',
                     module=dict(VIT, prompt_cfg=dict(num_tokens=2))),
    side_swin=dict(type='SideTuning', module=dict(
        SWIN, prompt_cfg=dict(num_tokens=2)), side_cfg=dict(
            out_channels=32)),
    bias_of_partial=dict(type='BiasTuning', module=dict(
        type='PartialTuning', module=dict(VIT, type='VisionTransformer'))),
)


@pytest.mark.parametrize('name', list(CASES))
def test_trained_parameters_are_the_ones_with_grad(name):
    model = MODELS.build(copy.deepcopy(CASES[name]))
    assert answers_trained_contract(model)
    trained = model.trained_parameters()
    with_grad = {id(p) for p in model.parameters() if p.requires_grad}
    assert {id(p) for p in trained.values()} == with_grad
    if name == 'linear':
        assert not trained
    else:
        assert trained
    # names are the module's own keys
    keys = dict(model.state_dict(keep_vars=True))
    for key, param in trained.items():
        assert keys[key] is param, key


@pytest.mark.parametrize('name', list(CASES))
def test_only_trained_modules_follow_train_mode(name):
    model = MODELS.build(copy.deepcopy(CASES[name])).train()
    following = {
        id(sub)
        for module in model.trained_modules().values()
        for sub in module.modules()
    }
    # the wrapped backbone itself keeps the mode (its forward may ask it)
    roots = (model, model._modules.get('module'))
    for key, sub in model.named_modules():
        if any(sub is root for root in roots):
            assert sub.training
        else:
            assert sub.training == (id(sub) in following), key
    model.eval()
    assert not any(sub.training for sub in model.modules())


def test_fixed_prompts_follow_the_mode_but_do_not_train():
    model = MODELS.build(copy.deepcopy(CASES['vpt_fixed_cls'])).train()
    assert list(model.trained_modules()) == ['prompt']
    assert model.prompt.training
    assert list(model.trained_parameters()) == ['cls_token']
    with pytest.raises(ValueError, match='train_cls_token=True needs a'):
        MODELS.build(dict(VIT, with_cls_token=False, out_type='featmap',
                          prompt_cfg=dict(num_tokens=1,
                                          train_cls_token=True)))
    out = model(torch.randn(1, 3, 32, 32))[0]
    assert out.shape == (1, 32)
