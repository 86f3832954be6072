"""The structural PEFT wrappers on each backbone family: what trains, what
stays frozen (bit-identical, BN statistics too), keys, modes, forwards."""
import copy

import pytest
import torch
from mmpretrain.registry import MODELS
from torch import nn

from vpt_mm.models.heads import MlpClsHead
from vpt_mm.models.peft import AdapterTuning, BiasTuning, PartialTuning

VIT = dict(
    type='VisionTransformer',
    arch=dict(embed_dims=32, num_layers=2, num_heads=2,
              feedforward_channels=64),
    img_size=32, patch_size=16, out_type='cls_token')
PROMPTED_VIT = dict(VIT, type='PromptedViT',
                    prompt_cfg=dict(num_tokens=2, deep=True))
SWIN = dict(type='SwinTransformer',
            arch=dict(embed_dims=16, depths=[1, 2], num_heads=[1, 1]),
            img_size=32, window_size=2, out_indices=(1, ))
CONVNEXT = dict(type='ConvNeXt', arch=dict(depths=[1, 2],
                                          channels=[16, 32]),
                out_indices=[1])
RESNET = dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
              out_indices=(3, ))
FAMILIES = dict(vit=VIT, prompted_vit=PROMPTED_VIT, swin=SWIN,
                convnext=CONVNEXT, resnet=RESNET)
# the last block and the final norm, by the hosts' names
PARTIAL_1 = dict(
    vit=('layers.1.', 'ln1.'), prompted_vit=('layers.1.', 'ln1.'),
    swin=('stages.1.blocks.1.', 'norm1.'),
    convnext=('stages.1.1.', 'norm1.'), resnet=('layer4.1.', ))


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


def build(wrapper, family, **kwargs):
    return MODELS.build(
        dict(type=wrapper, module=copy.deepcopy(FAMILIES[family]), **kwargs))


def trainable_keys(model):
    return {
        key for key, value in model.state_dict(keep_vars=True).items()
        if isinstance(value, nn.Parameter) and value.requires_grad
    }


def prompt_keys(family, model):
    return {key for key in trainable_keys(model) if key.startswith(
        'prompt.')} if family == 'prompted_vit' else set()


@pytest.mark.parametrize('family', list(FAMILIES))
def test_bias_trains_every_bias(family):
    model = build('BiasTuning', family)
    host_keys = MODELS.build(FAMILIES[family]).state_dict(keep_vars=True)
    biases = {
        key for key, value in host_keys.items()
        if key.endswith('.bias') and isinstance(value, nn.Parameter)
        and not key.startswith('prompt.')
    }
    assert biases and trainable_keys(model) == biases | prompt_keys(
        family, model)
    if family == 'resnet':  # BN biases train; convolutions have none
        assert 'layer1.0.bn1.bias' in biases
        assert not any('conv' in key for key in biases)


@pytest.mark.parametrize('family', list(FAMILIES))
def test_partial_trains_last_block_and_final_norm(family):
    model = build('PartialTuning', family, num_blocks=1)
    expected = {
        key for key, value in model.state_dict(keep_vars=True).items()
        if isinstance(value, nn.Parameter)
        and key.startswith(PARTIAL_1[family])
    }
    assert expected
    assert trainable_keys(model) == expected | prompt_keys(family, model)
    with pytest.raises(ValueError, match='num_blocks'):
        build('PartialTuning', family, num_blocks=100)


@pytest.mark.parametrize('family', ['vit', 'prompted_vit', 'swin'])
def test_adapters_train_and_start_as_identity(family):
    model = build('AdapterTuning', family, reduction=8)
    host = model.module
    layers = len(host.layers) if 'vit' in family else 3
    assert len(model.adapters) == layers
    assert trainable_keys(model) == {
        f'adapters.{i}.{layer}.{kind}'
        for i in range(layers) for layer in ('down', 'up')
        for kind in ('weight', 'bias')
    } | prompt_keys(family, model)
    assert model.adapters[0].down.out_features == \
        model.adapters[0].down.in_features // 8
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        with_adapters = model(x)[-1]
        # hooks removed: the same backbone without adapters
        plain = copy.deepcopy(host)
        for module in plain.modules():
            module._forward_hooks.clear()
        assert torch.equal(with_adapters, plain(x)[-1])
        # a non-zero up-projection changes the output: adapters are used
        for adapter in model.adapters:
            nn.init.normal_(adapter.up.weight)
        assert not torch.allclose(model(x)[-1], with_adapters)


def test_adapter_is_for_transformers():
    with pytest.raises(TypeError, match='ResNet'):
        build('AdapterTuning', 'resnet')
    with pytest.raises(ValueError, match='reduction'):
        build('AdapterTuning', 'vit', reduction=0)


def test_adapter_activation_defaults_to_relu():
    model = build('AdapterTuning', 'vit')
    assert all(isinstance(adapter.act, nn.ReLU) for adapter in model.adapters)
    gelu = dict(type='GELU')
    model = build('AdapterTuning', 'vit', act_cfg=gelu)
    assert all(isinstance(adapter.act, nn.GELU) for adapter in model.adapters)
    assert gelu == dict(type='GELU')


@pytest.mark.parametrize('family', ['prompted_vit', 'resnet'])
def test_side_tuning_blends_with_a_half_at_start(family):
    model = build('SideTuning', family)
    assert trainable_keys(model) == {
        key for key in model.state_dict()
        if key.startswith('side_network.') or key == 'side_alpha'
    } | prompt_keys(family, model)
    assert model.side_alpha.item() == 0.
    model.eval()
    x = torch.randn(2, 3, 64, 64)  # AlexNet features need >= 63 px
    with torch.no_grad():
        features = model.module(x)[-1]
        side = model.side_network(x)
        if features.dim() == 4:
            side = side[:, :, None, None]
        assert torch.allclose(model(x)[-1], 0.5 * features + 0.5 * side)


def test_alexnet_side_network_has_torchvisions_layout():
    model = build('SideTuning', 'vit')
    side = model.side_network
    shapes = {key: tuple(value.shape)
              for key, value in side.state_dict().items()}
    assert shapes['features.0.weight'] == (64, 3, 11, 11)
    assert shapes['features.10.weight'] == (256, 256, 3, 3)
    assert shapes['fc.weight'] == (32, 256 * 6 * 6)


@pytest.mark.parametrize('wrapper', ['BiasTuning', 'PartialTuning'])
def test_frozen_weights_and_bn_statistics_unchanged_by_training(wrapper):
    model = build(wrapper, 'resnet')
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trained_names = {f'{name}.' for name in model.trained_modules()}
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.1)
    model.train()
    for _ in range(2):
        loss = model(torch.randn(4, 3, 32, 32))[-1].square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = model.state_dict(keep_vars=True)
    for key, value in after.items():
        in_trained = any(key.startswith(name) for name in trained_names)
        trains = value.requires_grad or in_trained
        if not trains:
            assert torch.equal(before[key], value.detach()), key
    if wrapper == 'PartialTuning':
        # the tuned block's BN is in train mode: its statistics move
        assert not torch.equal(before['layer4.1.bn1.running_mean'],
                               after['layer4.1.bn1.running_mean'])
        assert not torch.equal(before['layer4.1.conv1.weight'],
                               after['layer4.1.conv1.weight'].detach())
    else:
        assert not torch.equal(before['layer4.1.bn1.bias'],
                               after['layer4.1.bn1.bias'].detach())


def test_train_mode_follows_structure():
    model = build('PartialTuning', 'prompted_vit')
    model.train()
    host = model.module
    assert model.training and host.training
    assert host.prompt.training and host.layers[1].training
    assert host.ln1.training
    assert not host.layers[0].training and not host.patch_embed.training
    assert not host.layers[0].attn.training
    model.eval()
    assert not any(m.training for m in model.modules())
    bias = build('BiasTuning', 'resnet').train()
    assert not any(m.training for m in bias.module.modules()
                   if m is not bias.module)


def test_keys_are_the_backbones_and_load_back():
    host = MODELS.build(copy.deepcopy(PROMPTED_VIT))
    model = build('AdapterTuning', 'prompted_vit')
    keys = list(model.state_dict())
    host_keys = list(host.state_dict())
    assert keys[:len(host_keys)] == host_keys
    assert all(key.startswith('adapters.') for key in keys[len(host_keys):])
    # a host checkpoint loads into the wrapper; only the adapters are new
    result = model.load_state_dict(host.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert set(result.missing_keys) == set(keys[len(host_keys):])
    assert torch.equal(model.module.layers[0].attn.qkv.weight,
                       host.layers[0].attn.qkv.weight)
    # wrapper attributes fall through to the backbone
    assert model.num_prompt_tokens == 2 and model.embed_dims == 32
    # a wrapper of a wrapper keeps the inner one's trainable parameters
    nested = AdapterTuning(module=BiasTuning(
        module=copy.deepcopy(PROMPTED_VIT)))
    assert 'layers.0.attn.qkv.bias' in trainable_keys(nested)
    assert 'adapters.0.up.weight' in trainable_keys(nested)


def test_partial_on_a_prebuilt_module_and_bad_module():
    vit = MODELS.build(copy.deepcopy(VIT))
    model = PartialTuning(module=vit, num_blocks=2)
    assert all(p.requires_grad for p in vit.layers.parameters())
    assert not vit.patch_embed.projection.weight.requires_grad
    with pytest.raises(TypeError, match='supported family'):
        PartialTuning(module=nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match='module must be'):
        BiasTuning(module='VisionTransformer')
    assert model.num_blocks == 2


def test_mlp_head_layers_and_parameters():
    head = MlpClsHead(num_classes=5, in_channels=16, num_layers=3)
    kinds = [type(m).__name__ for m in head.layers[0]]
    assert kinds == ['Linear', 'ReLU', 'BatchNorm1d', 'Dropout']
    assert len(head.layers) == 2
    assert sum(p.numel() for p in head.parameters()) == \
        2 * (16 * 16 + 16 + 2 * 16) + 16 * 5 + 5
    assert head((torch.randn(4, 16), )).shape == (4, 5)
    assert len(MlpClsHead(num_classes=5, in_channels=16,
                          num_layers=1).layers) == 0
    with pytest.raises(ValueError, match='num_layers'):
        MlpClsHead(num_classes=5, in_channels=16, num_layers=0)


def test_segmentation_encoder_decoder_with_bias_and_prompts():
    from mmseg.registry import MODELS as SEG_MODELS
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    from mmengine.registry import DefaultScope
    backbone = dict(
        type='PromptedViT',
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64),
        img_size=(32, 32), patch_size=8, out_type='featmap',
        out_indices=(1, ), final_norm=False,
        prompt_cfg=dict(num_tokens=2, deep=True))
    cfg = dict(
        type='EncoderDecoder',
        backbone=dict(type='BiasTuning', module=backbone),
        decode_head=dict(
            type='FCNHead', in_channels=32, in_index=0, channels=8,
            num_convs=1, concat_input=False, num_classes=3,
            loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG_MODELS.build(cfg)
    trainable = {k for k, p in model.named_parameters() if p.requires_grad}
    assert all(k.startswith('decode_head.') or k.endswith('.bias')
               or '.prompt.' in k for k in trainable)
    assert 'backbone.module.layers.0.attn.qkv.bias' in trainable
    assert 'backbone.layers.0.attn.qkv.weight' in model.state_dict()
    sample = SegDataSample(gt_sem_seg=PixelData(
        data=torch.randint(0, 3, (1, 32, 32))))
    sample.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32)))
    model.train()
    losses = model.loss(torch.randn(1, 3, 32, 32), [sample])
    losses['decode.loss_ce'].backward()
    assert model.backbone.module.layers[0].attn.qkv.bias.grad is not None
    assert model.backbone.module.layers[0].attn.qkv.weight.grad is None


PROMPTED_HOSTS = dict(
    swin=dict(SWIN, type='PromptedSwin',
              prompt_cfg=dict(num_tokens=2, deep=True)),
    convnext=dict(CONVNEXT, type='PromptedConvNeXt',
                  prompt_cfg=dict(num_tokens=1), img_size=32),
    resnet=dict(RESNET, type='PromptedResNet',
                prompt_cfg=dict(num_tokens=1), img_size=32))


@pytest.mark.parametrize('family', list(PROMPTED_HOSTS))
def test_wrappers_compose_with_prompted_hosts(family):
    """VPT + Bias and VPT + Partial-1 on the prompted Swin, ConvNeXt and
    ResNet: the prompts keep training and following the mode."""
    for wrapper, expected in (('BiasTuning', None),
                              ('PartialTuning', PARTIAL_1[family])):
        model = MODELS.build(dict(
            type=wrapper, module=copy.deepcopy(PROMPTED_HOSTS[family])))
        keys = trainable_keys(model)
        prompts = {key for key in keys if key.startswith('prompt.')}
        assert prompts
        rest = keys - prompts
        if expected is None:
            assert rest and all(key.endswith('.bias') for key in rest)
        else:
            assert rest and all(key.startswith(expected) for key in rest)
        model.train()
        assert model.module.prompt.training
        assert not model.module.stages[0].training if hasattr(
            model.module, 'stages') else not model.module.layer1.training
        assert model(torch.randn(1, 3, 32, 32))[-1].requires_grad
