"""Tests of the ViT converters (``vpt_mm.checkpoint.converters``) and the
command line.

timm is the independent peer: its ViT (and its own loader of Google's JAX
npz files) must give the same features as mmpretrain's ViT loaded from our
converted checkpoint.
"""
import importlib.util
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from mmpretrain.models.heads import VisionTransformerClsHead
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS
from timm.models.vision_transformer import VisionTransformer as TimmViT
from timm.models.vision_transformer import _load_weights as timm_load_npz

from vpt_mm.checkpoint.converters.errors import ConversionError
# isort: on

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CLI = osp.join(ROOT, 'tools', 'model_converters', 'convert_pretrained.py')

EMBED, DEPTH, HEADS, IMG, PATCH, CLASSES = 32, 2, 2, 32, 8, 5
ATOL = 1e-5


def load_cli():
    spec = importlib.util.spec_from_file_location('convert_pretrained', CLI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONVERT = load_cli().main


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights everywhere (timm zero-initialises some)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator)
            if param.dim() == 1 and name.endswith('weight'):
                param.copy_(1 + 0.2 * noise)  # norm scales
            else:
                param.copy_(0.2 * noise)
    return model.eval()


def timm_vit(**kwargs) -> TimmViT:
    cfg = dict(
        img_size=IMG,
        patch_size=PATCH,
        embed_dim=EMBED,
        depth=DEPTH,
        num_heads=HEADS,
        num_classes=CLASSES)
    cfg.update(kwargs)
    return randomize(TimmViT(**cfg))


def build_backbone(checkpoint: str,
                   num_tokens: int = 0,
                   deep: bool = False,
                   mlp: int = 4 * EMBED,
                   **kwargs):
    cfg = dict(
        type='PromptedViT',
        arch=dict(
            embed_dims=EMBED,
            num_layers=DEPTH,
            num_heads=HEADS,
            feedforward_channels=mlp),
        img_size=IMG,
        patch_size=PATCH,
        prompt_cfg=dict(num_tokens=num_tokens, deep=deep),
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def load_head(checkpoint: dict, **kwargs) -> VisionTransformerClsHead:
    head = VisionTransformerClsHead(
        num_classes=CLASSES, in_channels=EMBED, **kwargs)
    state_dict = {
        key[len('head.'):]: value
        for key, value in checkpoint['state_dict'].items()
        if key.startswith('head.')
    }
    head.load_state_dict(state_dict, strict=True)
    return head.eval()


def read_checkpoint(path: str) -> dict:
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    for value in checkpoint['meta'].values():
        assert type(value) in (str, int)
    return checkpoint


def images(size: int = IMG) -> torch.Tensor:
    return torch.randn(
        2, 3, size, size, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope='module')
def timm_model() -> TimmViT:
    return timm_vit()


@pytest.fixture(scope='module')
def timm_file(timm_model, tmp_path_factory) -> str:
    """A raw timm state dict, under a name that says nothing."""
    path = str(tmp_path_factory.mktemp('timm') / 'weights.bin')
    torch.save(timm_model.state_dict(), path)
    return path


# -- timm-style sources -----------------------------------------------------
def moco_pretrain(state_dict: dict) -> dict:
    """MoCo v3's pretraining file: base and momentum encoders (with a
    projection MLP as head) and a predictor, under ``module.``."""
    encoder = {k: v for k, v in state_dict.items() if not k.startswith('head')}
    encoder.update({
        'head.0.weight': torch.zeros(8, EMBED),
        'head.1.running_mean': torch.zeros(8),
        'head.1.num_batches_tracked': torch.tensor(3),
    })
    out = {f'module.base_encoder.{k}': v for k, v in encoder.items()}
    out.update({f'module.momentum_encoder.{k}': v for k, v in encoder.items()})
    out['module.predictor.0.weight'] = torch.zeros(8, 8)
    return dict(state_dict=out, epoch=300, arch='vit_base')


def moco_linear(state_dict: dict) -> dict:
    """MoCo v3's linear-probe file: a DDP state dict."""
    return dict(
        state_dict={
            f'module.{k}': v
            for k, v in state_dict.items()
        },
        epoch=100,
        arch='vit_base')


WRAPPINGS = {
    'timm': dict,
    'mae': lambda state_dict: dict(model=state_dict),
    'moco_v3': moco_linear,
    'moco_v3_pretrain': moco_pretrain,
}


@pytest.mark.parametrize('wrapping', list(WRAPPINGS))
def test_timm_round_trip(wrapping, timm_model, tmp_path):
    src, dst = str(tmp_path / 'source'), str(tmp_path / 'converted.pth')
    torch.save(WRAPPINGS[wrapping](timm_model.state_dict()), src)
    meta = CONVERT([src, dst])

    checkpoint = read_checkpoint(dst)
    assert checkpoint['meta'] == meta
    assert meta['source_layout'] == wrapping.replace('_pretrain', '')
    assert (meta['embed_dims'], meta['num_layers'], meta['patch_size'],
            meta['img_size']) == (EMBED, DEPTH, PATCH, IMG)
    state_dict = checkpoint['state_dict']
    assert state_dict['backbone.layers.1.attn.qkv.weight'].shape == (96, 32)
    assert 'backbone.ln1.weight' in state_dict

    backbone = build_backbone(dst)
    x = images()
    with torch.no_grad():
        expected = timm_model.forward_features(x)
        feature = backbone(x)[-1]
        torch.testing.assert_close(feature, expected[:, 0], rtol=0, atol=ATOL)
        if wrapping == 'moco_v3_pretrain':
            # The projection MLP, momentum encoder, predictor are left out.
            assert not any(key.startswith('head.') for key in state_dict)
            assert meta['num_skipped_keys'] == 3
            return
        assert meta['num_classes'] == CLASSES
        logits = load_head(checkpoint)((feature, ))
        torch.testing.assert_close(
            logits, timm_model.forward_head(expected), rtol=0, atol=ATOL)


def test_mae_global_pool(tmp_path):
    # a fine-tuned MAE checkpoint (timm's fc_norm variant) has no final
    # norm (``norm`` is Identity): the backbone needs final_norm=False;
    # 'avg_featmap' then averages the patch tokens and applies ln2 (=
    # fc_norm).
    model = timm_vit(global_pool='avg', fc_norm=True)
    state_dict = dict(model.state_dict())
    state_dict['mask_token'] = torch.zeros(1, 1, 16)
    state_dict['decoder_embed.weight'] = torch.zeros(16, EMBED)
    state_dict['decoder_blocks.0.norm1.weight'] = torch.zeros(16)
    src, dst = str(tmp_path / 'mae.pth'), str(tmp_path / 'converted.pth')
    torch.save(dict(model=state_dict), src)
    meta = CONVERT([src, dst])
    assert meta['source_layout'] == 'mae'
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 1)
    assert meta['num_skipped_keys'] == 3

    backbone = build_backbone(dst, final_norm=False, out_type='avg_featmap')
    x = images()
    with torch.no_grad():
        expected = model.forward_head(
            model.forward_features(x), pre_logits=True)
        torch.testing.assert_close(
            backbone(x)[-1], expected, rtol=0, atol=ATOL)


def test_mae_pretraining_checkpoint_with_global_pool(tmp_path):
    # MAE's released pretraining file: the encoder with its final ``norm``,
    # no fc_norm, no head (plus mask token and decoder, left out)
    model = timm_vit(num_classes=0)
    encoder = dict(model.state_dict())
    public = dict(encoder, mask_token=torch.zeros(1, 1, 16))
    public['decoder_embed.weight'] = torch.zeros(16, EMBED)
    src = str(tmp_path / 'mae_pretrain_vit_tiny.pth')
    torch.save(dict(model=public), src)
    CONVERT([src, str(tmp_path / 'plain.pth')])
    plain = read_checkpoint(str(tmp_path / 'plain.pth'))
    assert 'backbone.ln1.weight' in plain['state_dict']
    assert 'backbone.ln2.weight' not in plain['state_dict']

    dst = str(tmp_path / 'mae.pth')
    meta = CONVERT([src, dst, '--global-pool'])
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 1)
    assert 'dropped the pretrained final norm' in meta['global_pool']
    state_dict = read_checkpoint(dst)['state_dict']
    assert set(state_dict) == set(plain['state_dict']) - {
        'backbone.ln1.weight', 'backbone.ln1.bias'
    } | {'backbone.ln2.weight', 'backbone.ln2.bias'}
    # strict loading into the MAE configs' backbone; the read-out is MAE
    # fine-tuning's (and the official VPT code's) at its start: the mean of
    # the patch tokens through a new LayerNorm, the encoder unchanged
    backbone = build_backbone(dst, final_norm=False, out_type='avg_featmap')
    torch.testing.assert_close(backbone.ln2.weight, torch.ones(EMBED))
    torch.testing.assert_close(backbone.ln2.bias, torch.zeros(EMBED))
    reference = timm_vit(num_classes=0, global_pool='avg', fc_norm=True)
    reference.load_state_dict(
        {key: value for key, value in encoder.items()
         if not key.startswith('norm.')}, strict=False)
    with torch.no_grad():
        reference.fc_norm.weight.fill_(1.)
        reference.fc_norm.bias.zero_()
        x = images()
        torch.testing.assert_close(
            backbone(x)[-1], reference.forward_head(
                reference.forward_features(x), pre_logits=True),
            rtol=0, atol=ATOL)

    # a checkpoint that has fc_norm keeps it (and loses an unused norm)
    finetuned = dict(encoder, **{
        'fc_norm.weight': torch.full((EMBED, ), 2.),
        'fc_norm.bias': torch.full((EMBED, ), 0.5)
    })
    torch.save(dict(model=finetuned), src)
    meta = CONVERT([src, dst, '--global-pool'])
    assert "kept the checkpoint's fc_norm" in meta['global_pool']
    state_dict = read_checkpoint(dst)['state_dict']
    assert 'backbone.ln1.weight' not in state_dict
    assert torch.equal(state_dict['backbone.ln2.weight'],
                       torch.full((EMBED, ), 2.))
    # nothing to give a read-out to; no ViT
    del finetuned['fc_norm.weight'], finetuned['fc_norm.bias']
    del finetuned['norm.weight'], finetuned['norm.bias']
    torch.save(dict(model=finetuned), src)
    with pytest.raises(ConversionError, match='no final norm'):
        CONVERT([src, dst, '--global-pool'])


def test_no_final_norm(timm_model, timm_file, tmp_path):
    # SETR's backbone (final_norm=False) reads intermediate layers; a
    # prompted backbone loads strictly, so the final norm must go
    CONVERT([timm_file, str(tmp_path / 'plain.pth')])
    plain = read_checkpoint(str(tmp_path / 'plain.pth'))['state_dict']
    with pytest.raises(Exception, match='ln1'):
        build_backbone(str(tmp_path / 'plain.pth'), final_norm=False)
    dst = str(tmp_path / 'no_norm.pth')
    meta = CONVERT([timm_file, dst, '--no-final-norm'])
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 0)
    assert 'dropped the final norm' in meta['no_final_norm']
    assert 'global_pool' not in meta
    state_dict = read_checkpoint(dst)['state_dict']
    assert set(state_dict) == set(plain) - {
        'backbone.ln1.weight', 'backbone.ln1.bias'
    }
    backbone = build_backbone(dst, final_norm=False)
    x = images()
    with torch.no_grad():
        tokens = timm_model.blocks(
            timm_model._pos_embed(timm_model.patch_embed(x)))
        torch.testing.assert_close(
            backbone(x)[-1], tokens[:, 0], rtol=0, atol=ATOL)
    # the two read-out options exclude each other; no norm, no dropping
    with pytest.raises(SystemExit):
        CONVERT([timm_file, dst, '--no-final-norm', '--global-pool'])
    from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
    with pytest.raises(ConversionError, match='exclude each other'):
        convert_pretrained(timm_file, dst, global_pool=True, final_norm=False)
    no_norm = {k: v for k, v in timm_model.state_dict().items()
               if not k.startswith('norm.')}
    torch.save(no_norm, tmp_path / 'no_norm_source.pth')
    with pytest.raises(ConversionError, match='no final norm to drop'):
        CONVERT([str(tmp_path / 'no_norm_source.pth'), dst,
                 '--no-final-norm'])


def test_layer_scale_and_pre_norm(tmp_path):
    model = timm_vit(init_values=0.1, pre_norm=True)
    src, dst = str(tmp_path / 'deit3.pth'), str(tmp_path / 'converted.pth')
    torch.save(model.state_dict(), src)
    CONVERT([src, dst])
    backbone = build_backbone(dst, layer_scale_init_value=0.1, pre_norm=True)
    x = images()
    with torch.no_grad():
        torch.testing.assert_close(
            backbone(x)[-1],
            model.forward_features(x)[:, 0],
            rtol=0,
            atol=ATOL)


def test_safetensors_source(timm_model, tmp_path):
    from safetensors.torch import save_file
    src, dst = str(tmp_path / 'model'), str(tmp_path / 'converted.pth')
    save_file(timm_model.state_dict(), src)
    meta = CONVERT([src, dst])
    assert (meta['source_container'], meta['source_layout']) == \
        ('safetensors', 'timm')
    backbone = build_backbone(dst)
    x = images()
    with torch.no_grad():
        torch.testing.assert_close(
            backbone(x)[-1],
            timm_model.forward_features(x)[:, 0],
            rtol=0,
            atol=ATOL)


def test_img_size_resizes_pos_embed(timm_file, tmp_path):
    resized = str(tmp_path / 'resized.pth')
    meta = CONVERT([timm_file, resized, '--img-size', '48'])
    assert meta['img_size'] == 48
    pos_embed = read_checkpoint(resized)['state_dict']['backbone.pos_embed']
    original = torch.load(timm_file, weights_only=True)['pos_embed']
    torch.testing.assert_close(
        pos_embed,
        resize_pos_embed(original, (4, 4), (6, 6), 'bicubic', 1),
        rtol=0,
        atol=0)

    # The same as resizing at load time.
    plain = str(tmp_path / 'plain.pth')
    CONVERT([timm_file, plain])
    x = images(48)
    with torch.no_grad():
        torch.testing.assert_close(
            build_backbone(resized, img_size=48)(x)[-1],
            build_backbone(plain, img_size=48)(x)[-1],
            rtol=0,
            atol=ATOL)
    with pytest.raises(ValueError, match='not a positive multiple'):
        CONVERT([timm_file, plain, '--img-size', '50'])


# -- Google's JAX npz --------------------------------------------------------
def jax_arrays(head: str, mlp: int = 64, hidden: int = 16) -> dict:
    """Random arrays in the layout of Google's ViT npz files."""
    rng = np.random.default_rng(0)
    d, h, k, n = EMBED, HEADS, EMBED // HEADS, (IMG // PATCH)**2

    def rand(*shape, scale=0.2, offset=0.):
        return (offset + scale * rng.standard_normal(shape)).astype('f4')

    arrays = {
        'embedding/kernel': rand(PATCH, PATCH, 3, d),
        'embedding/bias': rand(d),
        'cls': rand(1, 1, d),
        'Transformer/posembed_input/pos_embedding': rand(1, 1 + n, d),
        'Transformer/encoder_norm/scale': rand(d, offset=1.),
        'Transformer/encoder_norm/bias': rand(d),
    }
    for i in range(DEPTH):
        block = f'Transformer/encoderblock_{i}/'
        attn = block + 'MultiHeadDotProductAttention_1/'
        for norm in ('LayerNorm_0', 'LayerNorm_2'):
            arrays[f'{block}{norm}/scale'] = rand(d, offset=1.)
            arrays[f'{block}{norm}/bias'] = rand(d)
        for name in ('query', 'key', 'value'):
            arrays[f'{attn}{name}/kernel'] = rand(d, h, k)
            arrays[f'{attn}{name}/bias'] = rand(h, k)
        arrays[attn + 'out/kernel'] = rand(h, k, d)
        arrays[attn + 'out/bias'] = rand(d)
        arrays[block + 'MlpBlock_3/Dense_0/kernel'] = rand(d, mlp)
        arrays[block + 'MlpBlock_3/Dense_0/bias'] = rand(mlp)
        arrays[block + 'MlpBlock_3/Dense_1/kernel'] = rand(mlp, d)
        arrays[block + 'MlpBlock_3/Dense_1/bias'] = rand(d)
    if head == 'pre_logits':
        arrays['pre_logits/kernel'] = rand(d, hidden)
        arrays['pre_logits/bias'] = rand(hidden)
        arrays['head/kernel'] = rand(hidden, CLASSES)
        arrays['head/bias'] = rand(CLASSES)
    elif head == 'head':
        arrays['head/kernel'] = rand(d, CLASSES)
        arrays['head/bias'] = rand(CLASSES)
    return arrays


def save_npz(path: str, arrays: dict) -> str:
    with open(path, 'wb') as file:  # a file object: no '.npz' appended
        np.savez(file, **arrays)
    return path


@pytest.mark.parametrize('head', ['none', 'head', 'pre_logits'])
def test_jax_npz(head, tmp_path):
    arrays = jax_arrays(head)
    src = save_npz(str(tmp_path / 'ViT-T_8.pth'), arrays)  # a misleading name
    dst = str(tmp_path / 'converted.pth')
    meta = CONVERT([src, dst])
    assert (meta['source_layout'], meta['source_container']) == \
        ('jax_npz', 'npz')
    assert (meta['num_heads'], meta['feedforward_channels']) == (HEADS, 64)

    # timm's own npz loader (it ignores pre_logits) is the peer.
    model = timm_vit(mlp_ratio=2, num_classes=CLASSES if head == 'head' else 0)
    timm_load_npz(model, src)
    backbone = build_backbone(dst, mlp=64)
    x = images()
    with torch.no_grad():
        expected = model.forward_features(x)
        feature = backbone(x)[-1]
        torch.testing.assert_close(feature, expected[:, 0], rtol=0, atol=ATOL)
        checkpoint = read_checkpoint(dst)
        if head == 'none':
            assert not any(
                k.startswith('head.') for k in checkpoint['state_dict'])
        elif head == 'head':
            torch.testing.assert_close(
                load_head(checkpoint)((feature, )),
                model.forward_head(expected),
                rtol=0,
                atol=ATOL)
        else:
            assert meta['hidden_dim'] == 16
            hidden = np.tanh(
                expected[:, 0].numpy() @ arrays['pre_logits/kernel'] +
                arrays['pre_logits/bias'])
            logits = hidden @ arrays['head/kernel'] + arrays['head/bias']
            torch.testing.assert_close(
                load_head(checkpoint, hidden_dim=16)((feature, )),
                torch.from_numpy(logits),
                rtol=0,
                atol=ATOL)


def test_jax_npz_errors(tmp_path):
    dst = str(tmp_path / 'converted.pth')
    arrays = jax_arrays('none')
    arrays['Transformer/extra/kernel'] = np.zeros(3, 'f4')
    src = save_npz(str(tmp_path / 'extra'), arrays)
    with pytest.raises(ValueError, match='Transformer/extra/kernel'):
        CONVERT([src, dst])

    arrays = jax_arrays('none')
    del arrays['Transformer/encoderblock_1/LayerNorm_2/bias']
    src = save_npz(str(tmp_path / 'missing'), arrays)
    with pytest.raises(
            ValueError, match='encoderblock_1/LayerNorm_2/bias" is missing'):
        CONVERT([src, dst])

    arrays = jax_arrays('none')
    arrays['Transformer/posembed_input/pos_embedding'] = np.zeros(
        (1, 13, EMBED), 'f4')
    src = save_npz(str(tmp_path / 'grid'), arrays)
    with pytest.raises(ValueError, match=r'pos_embed has shape \(1, 13, 32'):
        CONVERT([src, dst])


# -- layout detection --------------------------------------------------------
def test_layout_ignores_file_name(timm_model, tmp_path):
    src = str(tmp_path / 'imagenet21k_ViT-B_16.npz')
    torch.save(timm_model.state_dict(), src)
    meta = CONVERT([src, str(tmp_path / 'converted.pth')])
    assert meta['source_layout'] == 'timm'


def test_unknown_layout(tmp_path):
    dst = str(tmp_path / 'converted.pth')
    src = str(tmp_path / 'resnet.pth')
    torch.save({
        'conv1.weight': torch.zeros(1),
        'fc.bias': torch.zeros(1)
    }, src)
    with pytest.raises(ValueError) as info:
        CONVERT([src, dst])
    message = str(info.value)
    assert '\n' not in message
    assert src in message and 'unknown checkpoint layout' in message
    assert 'conv1.weight' in message

    src = save_npz(str(tmp_path / 'other.npz'), {'w': np.zeros(2)})
    with pytest.raises(ValueError, match="other.npz: unknown .*'w'"):
        CONVERT([src, dst])


class Untrusted:
    """Not allowed by weights-only loading."""


def test_sources_are_not_unpickled(tmp_path):
    dst = str(tmp_path / 'converted.pth')
    src = str(tmp_path / 'pickled.pth')
    torch.save({'model': Untrusted()}, src)
    with pytest.raises(ValueError, match='weights_only=True'):
        CONVERT([src, dst])

    arrays = jax_arrays('none')
    arrays['cls'] = np.array([Untrusted()], dtype=object)
    src = save_npz(str(tmp_path / 'pickled.npz'), arrays)
    with pytest.raises(ValueError, match='allow_pickle=False'):
        CONVERT([src, dst])


def test_unknown_timm_key(timm_model, tmp_path):
    state_dict = dict(timm_model.state_dict())
    state_dict['dist_token'] = torch.zeros(1, 1, EMBED)
    src = str(tmp_path / 'deit.pth')
    torch.save(state_dict, src)
    with pytest.raises(ValueError, match='"dist_token" has no counterpart'):
        CONVERT([src, str(tmp_path / 'converted.pth')])


def test_non_square_pos_embed(timm_model, tmp_path):
    state_dict = dict(timm_model.state_dict())
    state_dict['pos_embed'] = torch.zeros(1, 12, EMBED)
    src = str(tmp_path / 'odd.pth')
    torch.save(state_dict, src)
    with pytest.raises(ValueError, match=r'pos_embed has shape \(1, 12, 32'):
        CONVERT([src, str(tmp_path / 'converted.pth')])


def test_command_line_error_is_one_line(tmp_path, monkeypatch, capsys):
    src = str(tmp_path / 'empty.pth')
    torch.save({}, src)
    monkeypatch.setattr(sys, 'argv',
                        [CLI, src, str(tmp_path / 'converted.pth')])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(CLI, run_name='__main__')
    message = str(info.value.code)
    assert message.startswith('convert_pretrained.py: error: ')
    assert src in message and '\n' not in message


# -- prompts -----------------------------------------------------------------
def prompt_arrays(p: int = 4, deep: bool = True) -> dict:
    rng = np.random.default_rng(2)
    arrays = {'shallow_prompt': rng.standard_normal((1, p, EMBED), 'f4')}
    if deep:
        arrays['deep_prompt'] = rng.standard_normal((DEPTH - 1, p, EMBED),
                                                    'f4')
    return arrays


@pytest.mark.parametrize('kind', ['numpy', 'tensor'])
def test_merge_prompts(kind, timm_file, tmp_path):
    arrays = prompt_arrays()
    prompt_file = str(tmp_path / 'prompt_ep100.pth')
    if kind == 'numpy':
        torch.save(arrays, prompt_file)  # as the official trainer does
    else:
        torch.save({
            k: torch.from_numpy(v)
            for k, v in arrays.items()
        }, prompt_file)
    dst = str(tmp_path / 'converted.pth')
    meta = CONVERT([timm_file, dst, '--prompts', prompt_file])
    assert (meta['num_prompt_tokens'], meta['deep_prompts']) == (4, 1)
    assert meta['prompts'] == prompt_file

    backbone = build_backbone(dst, num_tokens=4, deep=True)
    for key, value in arrays.items():
        torch.testing.assert_close(
            getattr(backbone.prompt, key).detach(),
            torch.from_numpy(value),
            rtol=0,
            atol=0)

    # A prompt length other than the merged one fails when loading.
    with pytest.raises(ValueError, match='prompt.shallow_prompt'):
        build_backbone(dst, num_tokens=3, deep=True)


def test_merge_shallow_prompts_only(timm_file, tmp_path):
    prompt_file = str(tmp_path / 'prompt.pth')
    torch.save(prompt_arrays(p=2, deep=False), prompt_file)
    dst = str(tmp_path / 'converted.pth')
    meta = CONVERT([timm_file, dst, '--prompts', prompt_file])
    assert (meta['num_prompt_tokens'], meta['deep_prompts']) == (2, 0)
    backbone = build_backbone(dst, num_tokens=2)
    assert backbone.prompt.shallow_prompt.shape == (1, 2, EMBED)


BAD_PROMPTS = {
    'width': ('shallow_prompt', (1, 4, 16), '(1, 4, 16)', '(1, 4, 32)'),
    'depth': ('deep_prompt', (3, 4, EMBED), '(3, 4, 32)', '(1, 4, 32)'),
    'length': ('deep_prompt', (1, 5, EMBED), '(1, 5, 32)', '(1, 4, 32)'),
    'rank': ('shallow_prompt', (4, EMBED), '(4, 32)', "(1, 'p', 32)"),
}


@pytest.mark.parametrize('case', list(BAD_PROMPTS))
def test_mismatched_prompts(case, timm_file, tmp_path):
    key, shape, actual, expected = BAD_PROMPTS[case]
    arrays = prompt_arrays()
    arrays[key] = np.zeros(shape, 'f4')
    prompt_file = str(tmp_path / 'prompt.pth')
    torch.save(arrays, prompt_file)
    with pytest.raises(ValueError) as info:
        CONVERT([
            timm_file,
            str(tmp_path / 'converted.pth'), '--prompts', prompt_file
        ])
    message = str(info.value)
    assert f'"{key}"' in message and actual in message \
        and expected in message and '\n' not in message


def test_bad_prompt_files(timm_file, tmp_path):
    dst = str(tmp_path / 'converted.pth')
    prompt_file = str(tmp_path / 'prompt.pth')
    arrays = prompt_arrays()
    arrays['head'] = np.zeros(3, 'f4')
    torch.save(arrays, prompt_file)
    with pytest.raises(ValueError, match=r"unexpected key\(s\) \['head'\]"):
        CONVERT([timm_file, dst, '--prompts', prompt_file])

    torch.save({'shallow_prompt': Untrusted()}, prompt_file)
    with pytest.raises(ConversionError, match='weights_only=True'):
        CONVERT([timm_file, dst, '--prompts', prompt_file])
