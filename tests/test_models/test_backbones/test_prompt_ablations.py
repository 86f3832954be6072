"""The paper's ablations (Sec. 4.3, App. B) as PromptedViT configuration:
sequence lengths, which tokens reach the output, which parameters train,
equivalences between variants, and errors for nonsense combinations."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.backbones import VisionTransformer

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.models.backbones import PromptedViT
from vpt_mm.prompts.config import parse_prompt_cfg, resolve_prompt_layers

TINY_ARCH = dict(
    embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)
TOL = dict(atol=1e-5, rtol=1e-5)


def build(out_type='cls_token', **prompt_cfg):
    model = PromptedViT(
        arch=TINY_ARCH, img_size=32, patch_size=8, out_type=out_type,
        prompt_cfg=prompt_cfg)
    torch.manual_seed(1)
    with torch.no_grad():
        model.cls_token.normal_()
        model.pos_embed.normal_(std=0.5)
    return model.eval()


def copy_backbone(source, target):
    """The frozen weights of ``source`` into ``target`` (prompts kept)."""
    weights = {k: v for k, v in source.state_dict().items()
               if not k.startswith('prompt.')}
    target.load_state_dict(weights, strict=False)
    return target


def lengths(model, images):
    seen = []
    hooks = [layer.register_forward_hook(
        lambda module, args, out: seen.append(args[0].shape[1]))
        for layer in model.layers]
    model(images)
    for hook in hooks:
        hook.remove()
    return seen


def final_sequence(model, images):
    """The final-normed sequence, as the last layer leaves it."""
    seen = []
    hook = model.ln1.register_forward_hook(
        lambda module, args, out: seen.append(out))
    outs = model(images)
    hook.remove()
    return seen[0], outs


# one thread: tiny models, where more threads only oversubscribe
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def images():
    torch.manual_seed(0)
    return torch.randn(2, 3, 32, 32)


# -- location (Fig. 5) -------------------------------------------------------
def test_add_keeps_the_length_and_zero_prompts_are_no_prompts(images):
    host = build(num_tokens=0)
    for deep in (False, True):
        for length in (1, 17):
            model = copy_backbone(
                host, build(num_tokens=length, deep=deep, location='add'))
            assert model.num_prompt_tokens == 0
            assert lengths(model, images) == [17] * 3
            assert not torch.allclose(model(images)[0], host(images)[0])
            with torch.no_grad():
                for param in model.prompt.parameters():
                    param.zero_()
            torch.testing.assert_close(model(images)[0], host(images)[0])
    # one vector added to every token of the input of layer 0
    model = copy_backbone(host, build(num_tokens=1, location='add'))
    shifted = copy_backbone(host, build(num_tokens=0))
    with torch.no_grad():
        shifted.pos_embed.add_(model.prompt.shallow_prompt)
    torch.testing.assert_close(model(images)[0], shifted(images)[0], **TOL)
    with pytest.raises(ValueError, match=r'num_tokens=5.*1 .*17'):
        build(num_tokens=5, location='add')


def test_prepend_pixel_goes_through_the_frozen_patch_embedding(images):
    model = build(num_tokens=3, location='prepend-pixel')
    assert model.prompt.pixels.shape == (1, 3, 8, 24)
    assert lengths(model, images) == [1 + 3 + 16] * 3
    seen = []
    model.layers[0].register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    model(images)
    tokens = F.conv2d(model.prompt.pixels,
                      model.patch_embed.projection.weight,
                      model.patch_embed.projection.bias, stride=8)
    expected = tokens.flatten(2).transpose(1, 2).expand(2, -1, -1)
    torch.testing.assert_close(seen[0][:, 1:4], expected, **TOL)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'prompt.pixels'}


def test_concat_channel_is_a_wider_patch_embedding(images):
    model = build(num_tokens=2, location='concat-channel')
    host = copy_backbone(model, build(num_tokens=0))
    assert lengths(model, images) == [17] * 3
    # the extra kernel starts at zero: the frozen backbone exactly
    torch.testing.assert_close(model(images)[0], host(images)[0])
    with torch.no_grad():
        model.prompt.kernel.normal_(std=0.1)
    wide = VisionTransformer(
        arch=TINY_ARCH, img_size=32, patch_size=8, in_channels=5)
    weights = host.state_dict()
    weights['patch_embed.projection.weight'] = torch.cat(
        (weights['patch_embed.projection.weight'], model.prompt.kernel), 1)
    wide.load_state_dict(weights)
    wide.eval()
    channels = model.prompt.channels.expand(2, -1, -1, -1)
    torch.testing.assert_close(
        model(images)[0], wide(torch.cat((images, channels), 1))[0], **TOL)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'prompt.channels', 'prompt.kernel'}
    with pytest.raises(ValueError, match='concat-channel.*48, 48'):
        model(torch.randn(1, 3, 48, 48))


# -- depth (Figs. 7, 14) -----------------------------------------------------
def test_layer_names():
    cfg = parse_prompt_cfg(dict(num_tokens=1, deep=True))
    for layers, expected in (('1->6', range(0, 6)), ('7->12', range(6, 12)),
                             ('12->3', range(2, 12)), ('12->12', [11]),
                             ([0, 11, 5], [0, 5, 11])):
        cfg['layers'] = layers
        assert resolve_prompt_layers(cfg, 12) == tuple(expected)
    for layers in ('0->3', '1->13', '1-3', [12], [1, 1], [], [True]):
        cfg['layers'] = layers
        with pytest.raises(ValueError, match='prompt_cfg.layers'):
            resolve_prompt_layers(cfg, 12)


@pytest.mark.parametrize('carry', [True, False])
def test_layers_without_prompts(images, carry):
    token = build(num_tokens=4, deep=True, layers=[0, 2],
                  carry_prompts=carry, deep_mode='token')
    prefix = copy_backbone(token, build(num_tokens=4, deep=True,
                                        layers=[0, 2], carry_prompts=carry))
    prefix.load_state_dict(token.state_dict())
    assert token.prompt.deep_prompt.shape == (1, 4, 32)
    # carried: layer 1 sees layer 0's prompt outputs; else none
    assert lengths(token, images) == [21, 21 if carry else 17, 21]
    modes = [step.mode for step in prefix.layer_plan]
    # layer 0's prompt outputs are read by layer 1 only when carried
    assert modes == (['token', None, 'prefix'] if carry else ['prefix', None,
                                                              'prefix'])
    torch.testing.assert_close(prefix(images)[0], token(images)[0], **TOL)
    # and a layer set starting late carries nothing before it
    late = build(num_tokens=4, deep=True, layers='2->3',
                 carry_prompts=carry, deep_mode='token')
    assert lengths(late, images) == [17, 21, 21]


def test_first_layer_only_is_vpt_shallow(images):
    shallow = build(num_tokens=4)
    deep = copy_backbone(shallow, build(num_tokens=4, deep=True,
                                        layers='1->1'))
    deep.load_state_dict(shallow.state_dict())
    assert deep.prompt.deep_prompt is None
    assert lengths(deep, images) == lengths(shallow, images) == [21] * 3
    torch.testing.assert_close(deep(images)[0], shallow(images)[0])


# -- final output (Fig. 8) ---------------------------------------------------
@pytest.mark.parametrize('deep', [False, True])
def test_pooled_outputs(images, deep):
    cls_model = build(num_tokens=4, deep=deep)
    copy = dict(cls_model.state_dict())
    token = build(num_tokens=4, deep=deep, deep_mode='token')
    token.load_state_dict(copy)
    sequence, (cls_token, ) = final_sequence(token, images)
    expected = dict(
        image_pool=sequence[:, 5:].mean(1),
        prompt_pool=sequence[:, 1:5].mean(1),
        global_pool=sequence[:, 1:].mean(1))
    for out_type, pooled in expected.items():
        model = build(out_type=out_type, num_tokens=4, deep=deep)
        model.load_state_dict(copy)
        # prompts whose outputs are pooled are tokens in the last layer
        assert model.layer_plan[-1].mode == (
            'prefix' if deep and out_type == 'image_pool' else
            'token' if deep else None)
        torch.testing.assert_close(model(images)[0], pooled, **TOL)
    torch.testing.assert_close(cls_model(images)[0], cls_token, **TOL)
    assert cls_model.out_type == 'cls_token'


def test_pools_without_prompt_tokens_are_refused():
    with pytest.raises(ValueError, match="out_type='prompt_pool'.*add"):
        build(out_type='prompt_pool', num_tokens=1, location='add')
    with pytest.raises(ValueError, match='global_pool.*carry_prompts=False'):
        build(out_type='global_pool', num_tokens=2, deep=True,
              layers='1->2', carry_prompts=False)
    # image_pool needs none
    assert build(out_type='image_pool', num_tokens=1, location='add')


# -- sharing (Fig. 12) -------------------------------------------------------
def test_sharing_shapes_and_tokens():
    intra = build(num_tokens=4, deep=True, sharing='intra')
    assert intra.prompt.shallow_prompt.shape == (1, 1, 32)
    assert intra.prompt.deep_prompt.shape == (2, 1, 32)
    tokens = intra.prompt(2, batch_size=1)
    assert tokens.shape == (1, 4, 32) and torch.equal(
        tokens[0, 0], tokens[0, 3])
    assert torch.equal(tokens[0, 0], intra.prompt.deep_prompt[1, 0])
    inter = build(num_tokens=4, deep=True, sharing='inter')
    assert inter.prompt.deep_prompt is None
    assert inter.prompt.shallow_prompt.shape == (1, 4, 32)
    assert torch.equal(inter.prompt(0, batch_size=1),
                       inter.prompt(2, batch_size=1))
    shared = build(num_tokens=4, deep=True, sharing='all')
    assert [p.shape for p in shared.prompt.parameters()] == [(1, 1, 32)]


def test_shared_all_with_one_prompt_is_one_vector_everywhere(images):
    shared = build(num_tokens=1, deep=True, sharing='all')
    default = build(num_tokens=1, deep=True)
    weights = dict(shared.state_dict())
    vector = weights['prompt.shallow_prompt']
    weights['prompt.deep_prompt'] = vector.expand(2, 1, 32).clone()
    default.load_state_dict(weights)
    torch.testing.assert_close(shared(images)[0], default(images)[0])
    # shared-inter with p prompts: the one set at every layer
    inter = build(num_tokens=3, deep=True, sharing='inter')
    weights = dict(inter.state_dict())
    weights['prompt.deep_prompt'] = weights['prompt.shallow_prompt'].expand(
        2, 3, 32).clone()
    default = build(num_tokens=3, deep=True)
    default.load_state_dict(weights)
    torch.testing.assert_close(inter(images)[0], default(images)[0])


# -- initialisation and what trains (Figs. 11, 13) ---------------------------
def test_cls_prototype_init_and_fixed_prompts(tmp_path):
    prototypes = np.random.default_rng(0).normal(size=(5, 32)).astype(
        np.float32)
    path = str(tmp_path / 'prototypes.npy')
    np.save(path, prototypes)
    model = build(num_tokens=5, deep=True, init='cls-prototype',
                  init_file=path, trainable=False)
    model.init_weights()
    for index in range(3):
        assert torch.equal(model.prompt(index, batch_size=1)[0],
                           torch.from_numpy(prototypes))
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match=r'num_tokens=4 must equal the 5'):
        build(num_tokens=4, init='cls-prototype', init_file=path)
    with pytest.raises(ValueError, match="init='cls-prototype'.*init_file"):
        build(num_tokens=4, init='cls-prototype')
    with pytest.raises(ValueError, match='init_file.*cannot read'):
        build(num_tokens=4, init='cls-prototype',
              init_file=str(tmp_path / 'missing.npy'))


def test_cls_learned_and_prompt_fixed():
    cls_learned = build(num_tokens=0, train_cls_token=True)
    assert [n for n, p in cls_learned.named_parameters()
            if p.requires_grad] == ['cls_token']
    fixed = build(num_tokens=3, deep=True, trainable=False)
    assert not any(p.requires_grad for p in fixed.parameters())
    learned_p1 = build(num_tokens=1)
    assert [n for n, p in learned_p1.named_parameters()
            if p.requires_grad] == ['prompt.shallow_prompt']


@pytest.mark.parametrize('prompt_cfg,message', [
    (dict(num_tokens=2, deep=True, location='prepend-pixel'),
     r"prompt_cfg.location='prepend-pixel' cannot be combined with "
     'deep=True'),
    (dict(num_tokens=2, location='concat-channel', dropout=0.1),
     'location.*dropout'),
    (dict(num_tokens=2, location='pixel'), 'prompt_cfg.location'),
    (dict(num_tokens=2, layers='1->2'), 'layers.*needs deep=True'),
    (dict(num_tokens=2, sharing='inter'), 'sharing.*deep=True'),
    (dict(num_tokens=2, sharing='intra-layer'), 'prompt_cfg.sharing'),
    (dict(num_tokens=0, location='add'), 'location.*num_tokens > 0'),
    (dict(num_tokens=2, init='cls-prototype', init_file='x.npy',
          project=8), 'init.*project=-1'),
    (dict(num_tokens=2, init_file='x.npy'), 'init_file'),
    (dict(num_tokens=2, carry_prompts='no'), 'carry_prompts'),
    (dict(num_tokens=2, trainable=0), 'trainable'),
])
def test_nonsense_combinations(prompt_cfg, message):
    with pytest.raises(ValueError, match=message):
        build(**prompt_cfg)


# -- VPT+Bias (Tab. 9) composes ----------------------------------------------
@pytest.mark.parametrize('prompt_cfg', [
    dict(num_tokens=2, deep=True, layers='2->3', sharing='intra'),
    dict(num_tokens=2, location='prepend-pixel'),
    dict(num_tokens=17, deep=True, location='add'),
])
def test_vpt_plus_bias_composes(images, prompt_cfg):
    peft = pytest.importorskip('vpt_mm.models.peft')
    wrapped = peft.BiasTuning(module=build(**prompt_cfg))
    trainable = {n for n, p in wrapped.named_parameters() if p.requires_grad}
    prompts = {n for n, _ in wrapped.named_parameters() if '.prompt.' in
               f'.{n}'}
    assert prompts and prompts <= trainable
    assert all(n.endswith('.bias') for n in trainable - prompts)
    assert any(n.endswith('attn.qkv.bias') for n in trainable)
    assert wrapped(images)[0].shape == (2, 32)
