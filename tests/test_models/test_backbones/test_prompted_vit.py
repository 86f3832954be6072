"""PromptedViT: exact VPT semantics, parity with the host, freezing, loading.

The reference below is written from the paper's equations and the official
model's description (shared/reference/official-vpt.md), using only the
weights of the module under test, not its code.
"""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.models.backbones import VisionTransformer

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.models.backbones import PromptedViT
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.prompts.tokens import PrefixPrompts

TINY_ARCH = dict(
    embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)


def build(num_tokens=4, deep=False, dropout=0., project=-1,
          deep_mode='prefix', **kwargs):
    kwargs.setdefault('arch', TINY_ARCH)
    kwargs.setdefault('img_size', 32)
    kwargs.setdefault('patch_size', 8)
    model = PromptedViT(
        prompt_cfg=dict(
            num_tokens=num_tokens,
            deep=deep,
            dropout=dropout,
            project=project,
            deep_mode=deep_mode),
        **kwargs)
    model.init_weights()
    # random values everywhere, so that nothing passes by being zero
    torch.manual_seed(1)
    with torch.no_grad():
        model.cls_token.normal_()
        model.pos_embed.normal_(std=0.5)
    return model


def reference_forward(model, images):
    """VPT from the equations: returns the final-normed CLS token and the
    final-normed full sequence (CLS, prompts, patches)."""
    weights = model.state_dict()
    dims = model.embed_dims
    heads = model.arch_settings['num_heads']
    p = model.num_prompt_tokens
    patches = F.conv2d(images, weights['patch_embed.projection.weight'],
                       weights['patch_embed.projection.bias'],
                       stride=model.patch_embed.projection.stride)
    tokens = patches.flatten(2).transpose(1, 2)  # B, N, D
    batch = tokens.shape[0]
    tokens = torch.cat(
        [weights['cls_token'].expand(batch, -1, -1), tokens], dim=1)
    tokens = tokens + weights['pos_embed']

    def prompt(index):
        if index == 0:
            raw = weights['prompt.shallow_prompt']
        else:
            raw = weights['prompt.deep_prompt'][index - 1:index]
        if 'prompt.proj.weight' in weights:
            raw = raw @ weights['prompt.proj.weight'].T + \
                weights['prompt.proj.bias']
        return raw.expand(batch, -1, -1)

    def layer_norm(x, name):
        return F.layer_norm(x, (dims, ), weights[f'{name}.weight'],
                            weights[f'{name}.bias'], eps=1e-6)

    if p:
        tokens = torch.cat([tokens[:, :1], prompt(0), tokens[:, 1:]], dim=1)
    for i in range(model.num_layers):
        if p and i > 0 and model.prompt_cfg['deep']:
            tokens = torch.cat(
                [tokens[:, :1], prompt(i), tokens[:, 1 + p:]], dim=1)
        pre = f'layers.{i}'
        x = layer_norm(tokens, f'{pre}.ln1')
        qkv = x @ weights[f'{pre}.attn.qkv.weight'].T + \
            weights[f'{pre}.attn.qkv.bias']
        q, k, v = qkv.reshape(batch, -1, 3, heads,
                              dims // heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) / math.sqrt(dims // heads)).softmax(
            dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(batch, -1, dims)
        x = x @ weights[f'{pre}.attn.proj.weight'].T + \
            weights[f'{pre}.attn.proj.bias']
        tokens = tokens + x
        x = layer_norm(tokens, f'{pre}.ln2')
        x = x @ weights[f'{pre}.ffn.layers.0.0.weight'].T + \
            weights[f'{pre}.ffn.layers.0.0.bias']
        x = F.gelu(x)
        x = x @ weights[f'{pre}.ffn.layers.1.weight'].T + \
            weights[f'{pre}.ffn.layers.1.bias']
        tokens = tokens + x
    tokens = layer_norm(tokens, 'ln1')
    return tokens[:, 0], tokens


@pytest.fixture
def images():
    torch.manual_seed(0)
    return torch.randn(2, 3, 32, 32)


@pytest.mark.parametrize('deep_mode', ['prefix', 'token'])
@pytest.mark.parametrize('deep,project', [(False, -1), (True, -1),
                                          (True, 16), (False, 16)])
def test_matches_reference(images, deep, project, deep_mode):
    model = build(num_tokens=5, deep=deep, project=project,
                  deep_mode=deep_mode).eval()
    expected_cls, _ = reference_forward(model, images)
    (cls_token, ) = model(images)
    torch.testing.assert_close(cls_token, expected_cls, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('deep_mode', ['prefix', 'token'])
def test_deep_prompts_change_output_only_through_their_layer(
        images, deep_mode):
    model = build(num_tokens=3, deep=True, deep_mode=deep_mode).eval()
    before = model(images)[0]
    with torch.no_grad():
        # prompts of layer 2 (not a constant shift, which LayerNorm removes)
        model.prompt.deep_prompt[1].add_(torch.randn(3, 32))
    after = model(images)[0]
    assert not torch.allclose(before, after)
    expected, _ = reference_forward(model, images)
    torch.testing.assert_close(after, expected, atol=1e-5, rtol=1e-5)


def test_sequence_layout_and_lengths(images):
    model = build(num_tokens=7, deep=True, deep_mode='token').eval()
    seen = []
    for layer in model.layers:
        layer.register_forward_hook(
            lambda module, args, out: seen.append(args[0].shape[1]))
    model(images)
    # 1 CLS + 7 prompts + 16 patches at every layer (deep replaces)
    assert seen == [1 + 7 + 16] * 3


def test_prefix_prompts_are_keys_and_values_only(images):
    model = build(num_tokens=7, deep=True).eval()
    assert model.prompts_as_prefix
    rows = {'ln1': [], 'qkv': [], 'proj': [], 'ln2': []}

    def record(name):
        return lambda module, args, out: rows[name].append(
            (args[0].shape[1], out.shape[-1]))

    for layer in model.layers:
        layer.ln1.register_forward_hook(record('ln1'))
        layer.attn.qkv.register_forward_hook(record('qkv'))
        layer.attn.proj.register_forward_hook(record('proj'))
        layer.ln2.register_forward_hook(record('ln2'))
    model(images)
    # every layer: ln1 on the 17 image tokens, then on the 7 prompts (whose
    # keys and values only are projected, by the qkv weights); attention
    # output, projection, ln2 and the FFN on the image tokens only; in the
    # last layer, whose CLS token only is read (out_type='cls_token'), on
    # the CLS token only (its query and the 17 keys and values by the qkv
    # weights, not the module)
    assert rows['qkv'] == [(17, 3 * 32)] * 2
    # batch 2, no dropout: the prompts are normalised once, not per sample
    assert rows['ln1'] == [(17, 32), (7, 32)] * 3
    assert rows['proj'] == [(17, 32)] * 2 + [(1, 32)]
    assert rows['ln2'] == [(17, 32)] * 2 + [(1, 32)]
    # shallow prompts stay tokens, whatever deep_mode says
    shallow = build(num_tokens=7, deep=False, deep_mode='prefix').eval()
    assert not shallow.prompts_as_prefix


@pytest.mark.parametrize('out_type', ['featmap', 'avg_featmap', 'raw'])
def test_outputs_hold_no_prompt_tokens(images, out_type):
    model = build(num_tokens=6, deep=True, out_type=out_type,
                  out_indices=(0, 2)).eval()
    host = VisionTransformer(
        arch=TINY_ARCH, img_size=32, patch_size=8, out_type=out_type,
        out_indices=(0, 2))
    host.eval()  # the host's train() returns None
    outs, host_outs = model(images), host(images)
    assert [o.shape for o in outs] == [o.shape for o in host_outs]
    if out_type == 'raw':
        # the last raw output is the reference sequence minus the prompts
        _, full = reference_forward(model, images)
        without_prompts = torch.cat([full[:, :1], full[:, 7:]], dim=1)
        torch.testing.assert_close(
            outs[-1], without_prompts, atol=1e-5, rtol=1e-5)
    if out_type == 'featmap':
        _, full = reference_forward(model, images)
        patches = full[:, 7:].reshape(2, 4, 4, 32).permute(0, 3, 1, 2)
        torch.testing.assert_close(outs[-1], patches, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('out_type,out_indices', [('cls_token', -1),
                                                  ('featmap', (0, 1, 2)),
                                                  ('avg_featmap', -1),
                                                  ('raw', (1, 2))])
def test_num_tokens_zero_is_the_host(images, out_type, out_indices):
    host = VisionTransformer(
        arch=TINY_ARCH, img_size=32, patch_size=8, out_type=out_type,
        out_indices=out_indices)
    host.init_weights()
    model = PromptedViT(
        arch=TINY_ARCH, img_size=32, patch_size=8, out_type=out_type,
        out_indices=out_indices, prompt_cfg=dict(num_tokens=0))
    assert model.load_state_dict(host.state_dict(), strict=True)
    assert model.prompt is None
    model.eval()
    host.eval()
    for ours, theirs in zip(model(images), host(images)):
        assert torch.equal(ours, theirs)


def test_prompt_init_bound():
    # ViT-B/16: v = sqrt(6 / (3 * 16 * 16 + 768)) = 0.0625
    prompts = PrefixPrompts(
        num_tokens=50, embed_dims=768, num_layers=12, patch_size=(16, 16),
        deep=True)
    assert prompts.init_bound == pytest.approx(0.0625)
    assert prompts.shallow_prompt.shape == (1, 50, 768)
    assert prompts.deep_prompt.shape == (11, 50, 768)
    for tensor in (prompts.shallow_prompt, prompts.deep_prompt):
        assert tensor.abs().max() <= 0.0625
        # uniform(-v, v) has std v / sqrt(3)
        assert tensor.std().item() == pytest.approx(
            0.0625 / math.sqrt(3), rel=0.05)
    projected = PrefixPrompts(
        num_tokens=5, embed_dims=768, num_layers=12, patch_size=(16, 16),
        project=128)
    assert projected.init_bound == pytest.approx(
        math.sqrt(6 / (3 * 256 + 128)))
    assert projected.shallow_prompt.shape == (1, 5, 128)
    assert projected.proj.weight.shape == (768, 128)


def test_everything_but_prompts_frozen_and_eval():
    model = build(num_tokens=4, deep=True, dropout=0.5, project=8,
                  drop_rate=0.5, drop_path_rate=0.5)
    model.train()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {
        'prompt.shallow_prompt', 'prompt.deep_prompt', 'prompt.proj.weight',
        'prompt.proj.bias'
    }
    for name, module in model.named_modules():
        if name.startswith('prompt') or name == '':
            assert module.training, name
        else:
            assert not module.training, name


def test_prompt_dropout_only_in_training(images):
    model = build(num_tokens=4, deep=True, dropout=0.5, drop_rate=0.5)
    model.eval()
    assert torch.equal(model(images)[0], model(images)[0])
    model.train()
    assert not torch.equal(model(images)[0], model(images)[0])
    # the encoder's own dropout stays off: no prompt dropout, no randomness
    quiet = build(num_tokens=4, deep=True, dropout=0., drop_rate=0.5,
                  drop_path_rate=0.5).train()
    assert torch.equal(quiet(images)[0], quiet(images)[0])


def test_backbone_bit_identical_after_training_steps(images):
    model = build(num_tokens=4, deep=True, dropout=0.1)
    head = torch.nn.Linear(32, 3)
    frozen = {
        k: v.clone()
        for k, v in model.state_dict().items() if not k.startswith('prompt')
    }
    prompts = model.prompt.deep_prompt.detach().clone()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(
        params + list(head.parameters()), lr=1., momentum=0.9,
        weight_decay=0.01)
    model.train()
    for _ in range(3):
        loss = F.cross_entropy(head(model(images)[0]), torch.tensor([0, 2]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for key, value in model.state_dict().items():
        if key in frozen:
            assert torch.equal(value, frozen[key]), key
    assert all(p.grad is None for p in model.parameters()
               if not p.requires_grad)
    assert not torch.equal(model.prompt.deep_prompt, prompts)


@pytest.mark.parametrize('prompt_cfg,message', [
    (dict(num_tokens=4, lenght=3), 'lenght'),
    (dict(num_tokens=-1), 'num_tokens'),
    (dict(num_tokens=2.5), 'num_tokens'),
    (dict(num_tokens=2, dropout=1.5), 'dropout'),
    (dict(num_tokens=2, project=0), 'project'),
    (dict(num_tokens=2, deep='yes'), 'deep'),
    (dict(num_tokens=2, deep=True, deep_mode='prefixes'), 'deep_mode'),
    (dict(num_tokens=2, deep=True, deep_mode=None), 'deep_mode'),
])
def test_bad_prompt_cfg(prompt_cfg, message):
    with pytest.raises(ValueError, match=message):
        PromptedViT(arch=TINY_ARCH, img_size=32, patch_size=8,
                    prompt_cfg=prompt_cfg)


def save_backbone(tmp_path, state_dict, name='ckpt.pth'):
    path = str(tmp_path / name)
    torch.save(
        {'state_dict': {f'backbone.{k}': v
                        for k, v in state_dict.items()}}, path)
    return path


def pretrained(path, **kwargs):
    model = PromptedViT(
        arch=TINY_ARCH, img_size=32, patch_size=8,
        init_cfg=dict(type='Pretrained', checkpoint=path,
                      prefix='backbone.'),
        **kwargs)
    model.init_weights()
    return model


def test_pretrained_loading_and_errors(tmp_path, images):
    host = VisionTransformer(arch=TINY_ARCH, img_size=32, patch_size=8)
    host.init_weights()
    weights = host.state_dict()
    model = pretrained(save_backbone(tmp_path, weights),
                       prompt_cfg=dict(num_tokens=0))
    model.eval()
    host.eval()
    assert torch.equal(model(images)[0], host(images)[0])

    missing = dict(weights)
    missing.pop('layers.1.attn.qkv.weight')
    with pytest.raises(CheckpointMismatchError,
                       match=r'missing.*layers\.1\.attn\.qkv\.weight'):
        pretrained(save_backbone(tmp_path, missing),
                   prompt_cfg=dict(num_tokens=2))

    extra = dict(weights, **{'layers.9.ln1.weight': torch.ones(32)})
    with pytest.raises(CheckpointMismatchError,
                       match=r'unexpected.*layers\.9\.ln1\.weight'):
        pretrained(save_backbone(tmp_path, extra))

    with_prompts = dict(weights, **{
        'prompt.shallow_prompt': torch.ones(1, 5, 32)})
    path = save_backbone(tmp_path, with_prompts)
    loaded = pretrained(path, prompt_cfg=dict(num_tokens=5))
    assert torch.equal(loaded.prompt.shallow_prompt, torch.ones(1, 5, 32))
    with pytest.raises(
            CheckpointMismatchError,
            match=r'prompt\.shallow_prompt.*\(1, 5, 32\).*\(1, 10, 32\)'):
        pretrained(path, prompt_cfg=dict(num_tokens=10))
    # prompts are all or none: shallow only cannot feed a deep model
    with pytest.raises(CheckpointMismatchError,
                       match=r'missing.*prompt\.deep_prompt'):
        pretrained(path, prompt_cfg=dict(num_tokens=5, deep=True))

    with pytest.raises(CheckpointMismatchError, match='head.'):
        PromptedViT(
            arch=TINY_ARCH, img_size=32, patch_size=8,
            init_cfg=dict(type='Pretrained', checkpoint=path,
                          prefix='head.')).init_weights()


def test_pos_embed_resized_at_load(tmp_path, images):
    host = VisionTransformer(arch=TINY_ARCH, img_size=32, patch_size=8)
    host.init_weights()
    model = pretrained(
        save_backbone(tmp_path, host.state_dict()),
        prompt_cfg=dict(num_tokens=2))
    larger = PromptedViT(
        arch=TINY_ARCH, img_size=48, patch_size=8,
        prompt_cfg=dict(num_tokens=2),
        init_cfg=dict(type='Pretrained',
                      checkpoint=save_backbone(tmp_path, host.state_dict()),
                      prefix='backbone.'))
    larger.init_weights()
    assert larger.pos_embed.shape == (1, 1 + 36, 32)
    assert torch.equal(larger.pos_embed[:, 0], model.pos_embed[:, 0])


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmseg'])
def test_built_from_both_registries(scope, images):
    if scope == 'mmpretrain':
        from mmpretrain.registry import MODELS
    else:
        from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(
            dict(type='PromptedViT', arch=TINY_ARCH, img_size=32,
                 patch_size=8, out_type='featmap', out_indices=(1, 2),
                 prompt_cfg=dict(num_tokens=3, deep=True)))
    assert isinstance(model, PromptedViT)
    outs = model.eval()(images)
    assert [tuple(o.shape) for o in outs] == [(2, 32, 4, 4)] * 2


def test_arch_names():
    for arch, dims in (('b', 768), ('base', 768), ('l', 1024), ('h', 1280)):
        assert PromptedViT.arch_zoo[arch]['embed_dims'] == dims


def test_the_last_prefix_layer_computes_the_cls_token_only(images,
                                                          monkeypatch):
    """out_type='cls_token': the last layer computes its CLS token only,
    with the same output and the same prompt gradients as the whole layer;
    not where its other tokens are read or dropout draws per token."""
    model = build(num_tokens=5, deep=True).train()
    last = model.layers[-1]
    assert model._reads_cls_only(last, 2)
    assert not model._reads_cls_only(model.layers[1], 1)

    def output_and_grads():
        model.zero_grad()
        out = model(images)[0]
        out.square().sum().backward()
        return out.detach(), model.prompt.deep_prompt.grad.clone()

    out, grads = output_and_grads()
    monkeypatch.setattr(PromptedViT, '_reads_cls_only',
                        lambda self, layer, index: False)
    whole_out, whole_grads = output_and_grads()
    monkeypatch.undo()
    torch.testing.assert_close(out, whole_out, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(grads, whole_grads, atol=1e-6, rtol=1e-5)
    assert grads[-1].abs().sum() > 0  # the last layer's prompts
    # other outputs read every token; dropout in train mode draws per token
    assert not build(num_tokens=5, deep=True, out_type='featmap')\
        ._reads_cls_only(last, 2)
    last.attn.attn_drop = 0.1
    assert not last.training  # frozen layers stay in eval mode: no dropout
    assert model._reads_cls_only(last, 2)
    assert not model._reads_cls_only(last.train(), 2)
