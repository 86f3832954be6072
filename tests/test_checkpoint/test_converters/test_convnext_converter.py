"""The converter on official ConvNeXt files
(``vpt_mm.checkpoint.converters.convnext``).

The peer is timm's ConvNeXt, its weights written back in the official
layout (inverting timm's own ``checkpoint_filter_fn``); with p = 0 our
prompted backbone, loaded from the converted file, must give its features
and logits within 1e-4.
"""
import re

import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from timm.models.convnext import ConvNeXt as TimmConvNeXt

from staged_samples import (ATOL, CLASSES, build, convert, images,
                            linear_head, randomize)
# isort: on

pytestmark = pytest.mark.usefixtures('one_thread')

CONVNEXT = dict(depths=(2, 1, 1, 1), channels=(8, 16, 24, 32))


def official_convnext(timm_model: TimmConvNeXt) -> dict:
    """timm's ConvNeXt in the official layout, inverting timm's
    ``checkpoint_filter_fn``."""
    weights = {}
    for key, value in timm_model.state_dict().items():
        key = key.replace('stem.', 'downsample_layers.0.')
        key = re.sub(r'stages\.(\d+)\.downsample\.(\d+)',
                     r'downsample_layers.\1.\2', key)
        key = re.sub(r'stages\.(\d+)\.blocks\.(\d+)', r'stages.\1.\2', key)
        key = key.replace('conv_dw', 'dwconv').replace('mlp.fc', 'pwconv')
        key = key.replace('head.norm.', 'norm.').replace('head.fc.', 'head.')
        weights[key] = value
    return dict(model=weights)


def test_convnext_matches_timm(tmp_path):
    timm_model = randomize(
        TimmConvNeXt(
            depths=CONVNEXT['depths'],
            dims=CONVNEXT['channels'],
            num_classes=CLASSES))
    path, meta, checkpoint = convert(official_convnext(timm_model), tmp_path)
    assert meta['source_layout'] == 'convnext'
    assert (meta['depths'], meta['channels'], meta['num_classes']) == \
        ('2,1,1,1', '8,16,24,32', CLASSES)
    model = build(
        dict(
            type='PromptedConvNeXt',
            arch=CONVNEXT,
            img_size=32,
            prompt_cfg=dict(num_tokens=0)), path)
    x = images()
    with torch.no_grad():
        [ours] = model(x)
        features = timm_model.forward_head(
            timm_model.forward_features(x), pre_logits=True)
        torch.testing.assert_close(ours, features, atol=ATOL, rtol=0)
        torch.testing.assert_close(
            linear_head(checkpoint, 32).fc(ours),
            timm_model(x),
            atol=ATOL,
            rtol=0)
