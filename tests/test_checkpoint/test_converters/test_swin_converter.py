"""The converter on official Swin Transformer files
(``vpt_mm.checkpoint.converters.swin``).

The peer is timm's Swin Transformer, its weights written back in the
official layout (inverting timm's own ``checkpoint_filter_fn``); with p = 0
our prompted backbone, loaded from the converted file, must give its
features and logits within 1e-4.
"""
import re

import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from timm.models.swin_transformer import SwinTransformer as TimmSwin

from staged_samples import (ATOL, CLASSES, build, convert, images,
                            linear_head, randomize)
from vpt_mm.checkpoint.converters.errors import ConversionError
from vpt_mm.checkpoint.converters.swin import unfold_merging_order
# isort: on

pytestmark = pytest.mark.usefixtures('one_thread')

SWIN = dict(embed_dims=32, depths=(2, 2), num_heads=(2, 4))


def official_swin(timm_model: TimmSwin) -> dict:
    """timm's Swin state dict in the official layout (``{'model': ...}``):
    merging at the end of a stage, ``head`` without ``fc``, plus the
    buffers the official files carry."""
    weights = {}
    for key, value in timm_model.state_dict().items():
        key = re.sub(r'layers\.(\d+)\.downsample',
                     lambda m: f'layers.{int(m.group(1)) - 1}.downsample',
                     key)
        weights[key.replace('head.fc.', 'head.')] = value
    weights['layers.0.blocks.0.attn.relative_position_index'] = \
        torch.zeros(16, 16, dtype=torch.long)
    weights['layers.0.blocks.1.attn_mask'] = torch.zeros(4, 16, 16)
    return dict(model=weights)


@pytest.fixture(scope='module')
def timm_swin() -> TimmSwin:
    return randomize(
        TimmSwin(
            img_size=32,
            patch_size=4,
            window_size=4,
            embed_dim=SWIN['embed_dims'],
            depths=SWIN['depths'],
            num_heads=SWIN['num_heads'],
            num_classes=CLASSES))


@pytest.mark.parametrize('out_type', ['featmap', 'avg_featmap'])
def test_swin_matches_timm(out_type, timm_swin, tmp_path):
    path, meta, checkpoint = convert(official_swin(timm_swin), tmp_path)
    assert meta['source_layout'] == 'swin' and meta['wrapper'] == 'model'
    assert (meta['embed_dims'], meta['depths'], meta['num_heads'],
            meta['window_size'], meta['patch_size'],
            meta['num_classes']) == (32, '2,2', '2,4', 4, 4, CLASSES)
    assert meta['num_skipped_keys'] == 2  # the two buffers
    model = build(
        dict(
            type='PromptedSwin',
            arch=SWIN,
            img_size=32,
            window_size=4,
            out_indices=(1, ),
            out_type=out_type,
            prompt_cfg=dict(num_tokens=0)), path)
    x = images()
    with torch.no_grad():
        [ours] = model(x)
        expected = timm_swin.forward_features(x)  # (B, H, W, C), normed
        if out_type == 'featmap':
            torch.testing.assert_close(
                ours, expected.permute(0, 3, 1, 2), atol=ATOL, rtol=0)
        else:
            torch.testing.assert_close(
                ours, expected.mean(dim=(1, 2)), atol=ATOL, rtol=0)
            logits = linear_head(checkpoint, 64).fc(ours)
            torch.testing.assert_close(
                logits, timm_swin.forward_head(expected), atol=ATOL, rtol=0)


def test_unfold_merging_order():
    """Channel c of neighbour (row, col) moves from the official
    ``k * C + c`` (k over (0,0), (1,0), (0,1), (1,1)) to ``c * 4 + 2 * row
    + col``."""
    channels = 3
    official = torch.arange(4 * channels).float()  # value = old index
    reordered = unfold_merging_order(official)
    for c in range(channels):
        for k, (row, col) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
            assert reordered[c * 4 + 2 * row + col] == k * channels + c


def test_timm_layout_swin_is_refused(timm_swin, tmp_path):
    with pytest.raises(ConversionError, match='timm-layout Swin'):
        convert(timm_swin.state_dict(), tmp_path)


def test_unknown_swin_key(timm_swin, tmp_path):
    weights = official_swin(timm_swin)
    weights['model']['layers.0.blocks.0.attn.extra'] = torch.zeros(1)
    with pytest.raises(
            ConversionError,
            match='"layers.0.blocks.0.attn.extra" has no counterpart in '
            "mmpretrain's SwinTransformer"):
        convert(weights, tmp_path)
