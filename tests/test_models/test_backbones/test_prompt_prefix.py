"""VPT-deep as key/value prefixes equals VPT-deep as replaced tokens.

``deep_mode='prefix'`` never runs the prompts through the attention's query
rows, its output projection or the FFN; since the token form throws those
rows away at every layer, both forms must give the same outputs and the
same gradients (prompts, projection, head), and neither any gradient for
the frozen backbone.
"""
import copy

import pytest
import torch
import torch.nn.functional as F

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.models.backbones import PromptedViT

TINY_ARCH = dict(
    embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)
TOL = dict(atol=1e-5, rtol=1e-5)


def build_pair(num_tokens=5, project=-1, dropout=0., arch=TINY_ARCH,
               **kwargs):
    """The same weights in the token form and in the prefix form."""
    kwargs.setdefault('img_size', 32)
    kwargs.setdefault('patch_size', 8)
    models = {}
    for mode in ('token', 'prefix'):
        models[mode] = PromptedViT(
            arch=arch,
            prompt_cfg=dict(
                num_tokens=num_tokens,
                deep=True,
                dropout=dropout,
                project=project,
                deep_mode=mode),
            **kwargs)
    token, prefix = models['token'], models['prefix']
    token.init_weights()
    torch.manual_seed(3)
    with torch.no_grad():
        # random values everywhere, so that nothing passes by being zero
        token.cls_token.normal_()
        token.pos_embed.normal_(std=0.5)
        for name, param in token.named_parameters():
            if 'gamma' in name or name.endswith('.bias'):
                param.normal_(std=0.5)
    prefix.load_state_dict(token.state_dict(), strict=True)
    assert not token.prompts_as_prefix and prefix.prompts_as_prefix
    return token, prefix


@pytest.fixture
def images():
    torch.manual_seed(0)
    return torch.randn(3, 3, 32, 32)


def run(model, images, heads, seed=0):
    """Outputs, and gradients after a loss through one head per output."""
    torch.manual_seed(seed)
    outs = model(images)
    labels = torch.tensor([0, 2, 1])[:images.shape[0]]
    loss = sum(
        F.cross_entropy(head(out.flatten(1)), labels)
        for head, out in zip(heads, outs))
    loss.backward()
    grads = {
        name: param.grad
        for name, param in model.named_parameters() if param.requires_grad
    }
    frozen_grads = [
        name for name, param in model.named_parameters()
        if not param.requires_grad and param.grad is not None
    ]
    return outs, grads, frozen_grads


def make_heads(model, images):
    torch.manual_seed(7)
    with torch.no_grad():
        outs = model.eval()(images)
    return [torch.nn.Linear(out[0].numel(), 3) for out in outs]


def assert_same(token, prefix, images, train=False):
    heads = make_heads(token, images)
    token_heads = heads
    prefix_heads = copy.deepcopy(heads)
    token.train(train)
    prefix.train(train)
    outs_t, grads_t, frozen_t = run(token, images, token_heads)
    outs_p, grads_p, frozen_p = run(prefix, images, prefix_heads)
    assert len(outs_t) == len(outs_p)
    for out_t, out_p in zip(outs_t, outs_p):
        assert out_t.shape == out_p.shape
        torch.testing.assert_close(out_p, out_t, **TOL)
    assert sorted(grads_t) == sorted(grads_p)
    assert grads_t, 'no trainable prompt parameters'
    for name in grads_t:
        assert grads_t[name] is not None and grads_p[name] is not None, name
        assert grads_p[name].abs().sum() > 0, name
        torch.testing.assert_close(grads_p[name], grads_t[name], **TOL)
    for head_t, head_p in zip(token_heads, prefix_heads):
        torch.testing.assert_close(head_p.weight.grad, head_t.weight.grad,
                                   **TOL)
        torch.testing.assert_close(head_p.bias.grad, head_t.bias.grad, **TOL)
    # the frozen backbone gets no gradient at all, in either form
    assert frozen_t == [] and frozen_p == []


@pytest.mark.parametrize('out_type,out_indices', [('cls_token', -1),
                                                  ('featmap', (0, 1, 2)),
                                                  ('avg_featmap', -1),
                                                  ('raw', (0, 2))])
@pytest.mark.parametrize('project', [-1, 16])
def test_prefix_equals_token_form(images, out_type, out_indices, project):
    token, prefix = build_pair(
        project=project, out_type=out_type, out_indices=out_indices)
    assert_same(token, prefix, images)


@pytest.mark.parametrize('num_tokens', [1, 20])
def test_prefix_equals_token_form_lengths(images, num_tokens):
    # 20 prompts: more keys from prompts than from the 17 image tokens
    token, prefix = build_pair(num_tokens=num_tokens, out_type='raw',
                               out_indices=(1, 2))
    assert_same(token, prefix, images)


def test_prefix_equals_token_form_single_image(images):
    token, prefix = build_pair()
    assert_same(token, prefix, images[:1])


def test_prefix_equals_token_form_with_layer_scale(images):
    token, prefix = build_pair(layer_scale_init_value=0.1, project=8)
    assert not isinstance(prefix.layers[0].attn.gamma1, torch.nn.Identity)
    assert_same(token, prefix, images)


def test_prefix_equals_token_form_one_layer(images):
    # one layer: only the (shallow) prompts of layer 0, which are discarded
    arch = dict(TINY_ARCH, num_layers=1)
    token, prefix = build_pair(arch=arch, out_type='featmap')
    assert prefix.prompt.deep_prompt is None
    assert_same(token, prefix, images)


def test_prefix_equals_token_form_with_prompt_dropout(images):
    # in training the prompt dropout draws the same masks in both forms
    # (one draw per layer, in layer order); the frozen encoder stays in
    # eval, its dropout and drop path off
    token, prefix = build_pair(
        dropout=0.3, project=16, drop_rate=0.5, drop_path_rate=0.5,
        out_type='avg_featmap')
    assert_same(token, prefix, images, train=True)
    # and the masks matter: another seed gives another output
    prefix.train()
    torch.manual_seed(0)
    first = prefix(images)[0]
    torch.manual_seed(1)
    assert not torch.allclose(first, prefix(images)[0])


def test_prefix_needs_mmpretrain_layers():
    _, prefix = build_pair()
    prefix.layers[1].attn.v_shortcut = True
    with pytest.raises(TypeError, match="deep_mode='token'"):
        prefix._check_prefix_support()


@pytest.mark.parametrize('deep_mode', ['prefix', 'token'])
def test_activation_checkpointing_gives_the_same_gradients(deep_mode):
    arch = dict(embed_dims=32, num_layers=3, num_heads=2,
                feedforward_channels=64)
    images = torch.randn(2, 3, 32, 32)
    grads = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = PromptedViT(
            arch=arch, img_size=32, patch_size=8, with_cp=with_cp,
            prompt_cfg=dict(num_tokens=3, deep=True, dropout=0.3,
                            deep_mode=deep_mode))
        model.train()
        torch.manual_seed(1)  # the same prompt-dropout masks in both runs
        model(images)[0].pow(2).sum().backward()
        grads.append(model.prompt.deep_prompt.grad.clone())
        assert all(p.grad is None for p in model.parameters()
                   if not p.requires_grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match='with_cp'):
        PromptedViT(arch=arch, img_size=32, patch_size=8, with_cp='yes')
