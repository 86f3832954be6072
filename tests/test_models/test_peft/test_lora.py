"""mmpretrain's LoRAModel around a prompted ViT: both deep modes work and
agree, the prompts keep training and are in the delta with LoRA's."""
import copy

import pytest
import torch
from mmpretrain.models.peft import LoRAModel as HostLoRAModel
from mmpretrain.registry import MODELS

from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.models.delta import delta_keys, load_delta, save_delta
from vpt_mm.models.trainable import answers_trained_contract

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64)
VIT = dict(type='VisionTransformer', arch=ARCH, img_size=32, patch_size=16,
           out_type='cls_token')
TARGETS = [dict(type='qkv'), dict(type='proj')]


def lora(deep_mode='prefix', module=None, init_cfg=None, **kwargs):
    module = module or dict(VIT, type='PromptedViT', init_cfg=init_cfg,
                            prompt_cfg=dict(num_tokens=3, deep=True,
                                            deep_mode=deep_mode))
    return MODELS.build(dict(type='LoRAModel', module=copy.deepcopy(module),
                             alpha=4, rank=2, targets=TARGETS, **kwargs))


def classifier(deep_mode='prefix', init_cfg=None):
    return MODELS.build(dict(
        type='ImageClassifier', backbone=lora(deep_mode, init_cfg=init_cfg),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=32,
                  loss=dict(type='CrossEntropyLoss'))))


def pretrained(path, seed):
    """A host ViT checkpoint at ``path``; its ``Pretrained`` init_cfg."""
    torch.manual_seed(seed)
    torch.save(MODELS.build(VIT).state_dict(), path)
    return dict(type='Pretrained', checkpoint=str(path))


def trainable(model):
    return {k for k, p in model.named_parameters() if p.requires_grad}


def test_registry_gives_the_subclass_of_mmpretrains_lora():
    model = lora()
    assert isinstance(model, HostLoRAModel)
    assert answers_trained_contract(model)
    assert model.prompted


@pytest.mark.parametrize('deep_mode', ['prefix', 'token'])
def test_prompts_and_lora_train_nothing_else(deep_mode):
    model = lora(deep_mode)
    names = trainable(model)
    assert 'module.prompt.shallow_prompt' in names
    assert 'module.prompt.deep_prompt' in names
    assert 'module.layers.0.attn.qkv.lora_down.weight' in names
    assert 'module.layers.1.attn.proj.lora_up.weight' in names
    assert names == set(model.trained_parameters())
    assert not any('original_layer' in name for name in names)
    assert len(names) == 2 + 2 * 2 * 2
    # only prompts and LoRA follow train(); the frozen encoder stays eval
    model.train()
    assert model.module.prompt.training
    assert model.module.layers[0].attn.qkv.lora_dropout.training
    assert not model.module.layers[0].attn.qkv.original_layer.training
    assert not model.module.layers[0].ffn.training


def test_prefix_and_token_modes_agree_in_outputs_and_gradients():
    torch.manual_seed(0)
    prefix, token = lora('prefix'), lora('token')
    for name, param in prefix.named_parameters():
        if 'lora_up' in name:  # LoRA starts at zero: make it count
            torch.nn.init.normal_(param, std=0.5)
    token.load_state_dict(prefix.state_dict())
    # in double precision: the prompts' share of a tiny model's gradients
    # is small enough for float32 rounding to matter
    prefix, token = prefix.double(), token.double()
    assert [s.mode for s in prefix.module.layer_plan] == ['prefix'] * 2
    assert [s.mode for s in token.module.layer_plan] == ['token'] * 2
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    outs = [model(x)[-1] for model in (prefix, token)]
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-9, atol=1e-9)
    for out in outs:
        out.pow(2).sum().backward()
    grads = [{k: p.grad for k, p in m.named_parameters() if p.requires_grad}
             for m in (prefix, token)]
    assert set(grads[0]) == set(grads[1])
    for key in grads[0]:
        assert grads[0][key].abs().sum() > 0, key
        torch.testing.assert_close(grads[0][key], grads[1][key], rtol=1e-7,
                                   atol=1e-12, msg=key)
    # and LoRA changed the output: the adapted qkv is used for prompts too
    torch.manual_seed(0)
    plain = MODELS.build(dict(VIT, type='PromptedViT', prompt_cfg=dict(
        num_tokens=3, deep=True))).double()
    plain.load_state_dict({
        k[len('module.'):].replace('original_layer.', ''): v
        for k, v in prefix.state_dict().items() if 'lora_' not in k})
    assert not torch.allclose(plain(x)[-1], outs[0].detach(), atol=1e-3)


@pytest.mark.parametrize('deep_mode', ['prefix', 'token'])
def test_training_changes_prompts_and_lora_and_the_delta_holds_both(
        tmp_path, deep_mode):
    init_cfg = pretrained(tmp_path / 'vit.pth', seed=0)
    torch.manual_seed(0)
    model = classifier(deep_mode, init_cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.5)
    model.train()
    for _ in range(2):
        logits = model(torch.randn(4, 3, 32, 32), mode='tensor')
        loss = torch.nn.functional.cross_entropy(logits,
                                                 torch.tensor([0, 1, 2, 0]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = model.state_dict()
    changed = {k for k in after if not torch.equal(after[k], before[k])}
    keys = set(delta_keys(model))
    assert changed == keys
    assert 'backbone.module.prompt.deep_prompt' in keys
    assert 'backbone.module.layers.0.attn.qkv.lora_up.weight' in keys
    assert 'head.fc.weight' in keys
    path = str(tmp_path / 'lora.delta.safetensors')
    assert set(save_delta(model, path)) == keys
    # onto a fresh model with the same frozen backbone
    torch.manual_seed(5)  # other LoRA, prompt and head initialisations
    fresh = classifier(deep_mode, init_cfg)
    assert not torch.equal(fresh.state_dict()[
        'backbone.module.prompt.deep_prompt'], after[
            'backbone.module.prompt.deep_prompt'])
    load_delta(fresh, path)
    for key in keys:
        assert torch.equal(fresh.state_dict()[key], after[key]), key
    # the frozen rest binds it: another backbone is refused
    other = pretrained(tmp_path / 'other.pth', seed=1)
    with pytest.raises(CheckpointMismatchError, match='is another'):
        load_delta(classifier(deep_mode, other), path)


def test_around_a_host_module_it_is_mmpretrains_lora():
    model = lora(module=VIT)
    assert not model.prompted
    assert set(model.state_dict()) == {
        k for k in trainable(model)}
    assert all('.lora_' in k for k in model.state_dict())
    assert len(model.state_dict()) == 2 * 2 * 2
