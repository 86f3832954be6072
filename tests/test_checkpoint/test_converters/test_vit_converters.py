"""The timm-style ViT converter (raw timm, MAE and MoCo v3 wrappings,
``vpt_mm.checkpoint.converters.vit``) through the command line.

timm is the independent peer: its ViT must give the same features as
mmpretrain's ViT loaded from our converted checkpoint.
"""
import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from mmpretrain.models.utils import resize_pos_embed

from vit_samples import (ATOL, CLASSES, CONVERT, DEPTH, EMBED, IMG, PATCH,
                         build_backbone, images, load_head, read_checkpoint,
                         timm_vit)
# isort: on


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
