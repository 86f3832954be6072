"""Google's JAX ViT npz files (``vpt_mm.checkpoint.converters.vit``):
timm's own npz loader is the peer."""
import numpy as np
import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from timm.models.vision_transformer import _load_weights as timm_load_npz

from vit_samples import (ATOL, CLASSES, CONVERT, EMBED, HEADS, build_backbone,
                         images, jax_arrays, load_head, read_checkpoint,
                         save_npz, timm_vit)
# isort: on


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
