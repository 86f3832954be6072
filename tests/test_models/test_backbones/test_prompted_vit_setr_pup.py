"""SETR-PUP with a prompted ViT: parity with mmseg's ViT, image tokens only
reaching the decode heads."""
import os.path as osp
import re

import mmseg
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
MMSEG_SETR = osp.join(
    osp.dirname(mmseg.__file__), '.mim', 'configs', 'setr',
    'setr_vit-l_pup_8xb2-160k_ade20k-512x512.py')
# a tiny ViT in place of ViT-L/16: 4 layers, all four of them outputs
TINY = dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=128)
PATCH = 8


def setr_config(method):
    """The file name of a configs/setr/ config (mmseg's naming)."""
    return f'setr_{method}_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py'


@pytest.fixture(autouse=True)
def one_thread_mmseg_scope():
    """Tiny models on a shared machine (threads only oversubscribe), built
    in mmseg's default scope, which does not outlive the test."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with DefaultScope.overwrite_default_scope('mmseg'):
            yield
    finally:
        torch.set_num_threads(threads)


def mmseg_vit_to_mmpretrain(state_dict, patch_bias=None):
    """Keys of mmseg's ``VisionTransformer`` -> mmpretrain's.

    mmseg's attention is ``nn.MultiheadAttention`` (``in_proj_*`` rows are
    [q; k; v], as mmpretrain's ``qkv``); its patch projection has no bias
    (``patch_bias=False``), so mmpretrain's gets zeros.
    """
    renames = [(r'\.attn\.attn\.in_proj_(weight|bias)$', r'.attn.qkv.\1'),
               (r'\.attn\.attn\.out_proj\.', r'.attn.proj.')]
    converted = {}
    for key, value in state_dict.items():
        for pattern, replacement in renames:
            key = re.sub(pattern, replacement, key)
        converted[key] = value
    bias_key = 'patch_embed.projection.bias'
    if bias_key not in converted:
        weight = converted['patch_embed.projection.weight']
        converted[bias_key] = (
            torch.zeros(weight.shape[0]) if patch_bias is None else patch_bias)
    return converted


def mmseg_setr_backbone(**overrides):
    """The backbone of mmseg's own SETR-PUP ADE20K config, tiny."""
    backbone = Config.fromfile(MMSEG_SETR).model.backbone
    backbone.update(
        embed_dims=TINY['embed_dims'], num_layers=TINY['num_layers'],
        num_heads=TINY['num_heads'], patch_size=PATCH,
        out_indices=(0, 1, 2, 3), init_cfg=None)
    backbone.update(overrides)
    return backbone


def our_setr_backbone(config, **overrides):
    """The backbone of one of our SETR configs, tiny."""
    backbone = Config.fromfile(osp.join(ROOT, 'configs', 'setr',
                                        config)).model.backbone
    backbone.update(arch=TINY, patch_size=PATCH, out_indices=(0, 1, 2, 3),
                    **overrides)
    return backbone


def randomize_(module):
    torch.manual_seed(0)
    with torch.no_grad():
        for name, param in module.named_parameters():
            param.copy_(torch.randn_like(param) * 0.2 +
                        (1. if name.endswith('ln1.weight') or
                         name.endswith('ln2.weight') else 0.))


@pytest.mark.parametrize('mode', ['bilinear', 'bicubic'])
def test_prompted_vit_matches_mmseg_vit_of_the_setr_config(tmp_path, mode):
    # pretrained on 32x32 images (4x4 grid), segmenting with 48x48 crops
    pretrain = MODELS.build(mmseg_setr_backbone(img_size=(32, 32)))
    randomize_(pretrain)
    torch.save(pretrain.state_dict(), tmp_path / 'mmseg.pth')
    torch.save({'state_dict': {
        'backbone.' + key: value
        for key, value in mmseg_vit_to_mmpretrain(
            pretrain.state_dict()).items()
    }}, tmp_path / 'mmpretrain.pth')

    theirs = MODELS.build(mmseg_setr_backbone(
        img_size=(48, 48), interpolate_mode=mode,
        init_cfg=dict(type='Pretrained',
                      checkpoint=str(tmp_path / 'mmseg.pth'))))
    theirs.init_weights()
    ours = MODELS.build(our_setr_backbone(
        setr_config('head-only'), img_size=(48, 48),
        interpolate_mode=mode,
        init_cfg=dict(type='Pretrained',
                      checkpoint=str(tmp_path / 'mmpretrain.pth'),
                      prefix='backbone.')))
    ours.init_weights()
    assert ours.num_prompt_tokens == 0
    # both resized the 4x4 grid to 6x6 when loading
    assert ours.pos_embed.shape == theirs.pos_embed.shape == (1, 37, 32)
    torch.testing.assert_close(ours.pos_embed, theirs.pos_embed)

    theirs.eval()
    ours.eval()
    torch.manual_seed(1)
    # the crop size, and another size (both resize 6x6 -> 8x5 again)
    for size in ((48, 48), (64, 40)):
        image = torch.randn(2, 3, *size)
        with torch.no_grad():
            expected, got = theirs(image), ours(image)
        assert len(got) == len(expected) == 4
        for ours_map, their_map in zip(got, expected):
            assert ours_map.shape == (2, 32, size[0] // 8, size[1] // 8)
            torch.testing.assert_close(
                ours_map, their_map, rtol=1e-4, atol=1e-4)


def test_mapping_covers_every_weight():
    theirs = MODELS.build(mmseg_setr_backbone(img_size=(32, 32)))
    ours = MODELS.build(our_setr_backbone(
        setr_config('head-only'), img_size=(32, 32), init_cfg=None))
    assert set(mmseg_vit_to_mmpretrain(theirs.state_dict())) == set(
        ours.state_dict())


def tiny_segmentor(config, init_cfg=None, **prompt_cfg):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'setr', config)).model
    vit = cfg.backbone.get('module', cfg.backbone)  # inside BiasTuning
    vit.update(arch=TINY, patch_size=PATCH, img_size=(32, 32),
               out_indices=(0, 1, 2, 3), init_cfg=init_cfg)
    vit.prompt_cfg.update(prompt_cfg)
    for head in [cfg.decode_head, *cfg.auxiliary_head]:
        head.update(in_channels=32, channels=16, norm_cfg=dict(type='BN'))
    cfg.data_preprocessor.size = (32, 32)
    cfg.test_cfg = dict(mode='whole')
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('config,deep_mode', [
    (setr_config('vpt-deep-p10'), 'prefix'),
    (setr_config('vpt-deep-p10'), 'token'),
    (setr_config('vpt-deep-bias-p100'), 'token'),
])
def test_decode_heads_receive_image_tokens_only(config, deep_mode):
    model = tiny_segmentor(config, num_tokens=10, deep_mode=deep_mode)
    vit = getattr(model.backbone, 'module', model.backbone)
    sequence_lengths, head_inputs = [], {}
    for layer in vit.layers:
        layer.ffn.register_forward_hook(
            lambda m, args, out: sequence_lengths.append(args[0].shape[1]))
    heads = {'decode_head': model.decode_head}
    heads.update({f'auxiliary_head.{i}': head
                  for i, head in enumerate(model.auxiliary_head)})
    for name, head in heads.items():
        # a head's loss() calls its forward() directly, not through hooks
        def recording(inputs, name=name, forward=head.forward):
            head_inputs[name] = inputs
            return forward(inputs)

        head.forward = recording
    model.train()
    image = torch.randn(2, 3, 32, 48)  # 4x6 patches
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(32, 48),
                                             pad_shape=(32, 48)))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 150, (1, 32, 48)))
        samples.append(sample)
    losses = model(image, samples, mode='loss')
    assert set(head_inputs) == set(heads)
    for name, inputs in head_inputs.items():
        # the heads get all four outputs; each (B, C, H/8, W/8): 24 tokens
        assert len(inputs) == 4, name
        for feature in inputs:
            assert isinstance(feature, torch.Tensor), name
            assert feature.shape == (2, 32, 4, 6), name
    # the encoder did see the prompts: in the token form as 10 extra
    # tokens in every layer's sequence, in the prefix form as keys/values
    if deep_mode == 'token':
        assert sequence_lengths == [1 + 10 + 24] * 4
    else:
        assert sequence_lengths == [1 + 24] * 4
    loss = sum(value for key, value in losses.items() if 'loss' in key)
    loss.backward()
    assert vit.prompt.deep_prompt.grad.abs().sum() > 0
    trainable = {
        name.split('.')[0] for name, param in model.named_parameters()
        if param.requires_grad
    }
    assert trainable == {'backbone', 'decode_head', 'auxiliary_head'}
    with_bias = config == setr_config('vpt-deep-bias-p100')
    for name, param in vit.named_parameters():
        trains = name.startswith('prompt.') or (with_bias and
                                                name.endswith('.bias'))
        assert (param.grad is not None) == trains, name


@pytest.mark.parametrize('config', [setr_config('bias'),
                                    setr_config('vpt-deep-bias-p100')])
def test_bias_configs_load_the_pretrained_backbone(tmp_path, config):
    donor = tiny_segmentor(setr_config('head-only')).backbone
    randomize_(donor)
    torch.save({'state_dict': {'backbone.' + key: value
                               for key, value in donor.state_dict().items()}},
               tmp_path / 'vit.pth')
    model = tiny_segmentor(
        config,
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'vit.pth'),
                      prefix='backbone.'))
    loaded = model.backbone.state_dict()
    for key, value in donor.state_dict().items():
        assert torch.equal(loaded[key], value), key
    assert set(loaded) - set(donor.state_dict()) == (
        set() if config == setr_config('bias') else
        {'prompt.shallow_prompt', 'prompt.deep_prompt'})
