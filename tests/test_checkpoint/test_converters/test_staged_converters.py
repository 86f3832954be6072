"""The converter on official Swin / ConvNeXt and torchvision ResNet files.

The peers are independent implementations: timm's Swin Transformer and
ConvNeXt (their weights written back in the official layouts, inverting
timm's own ``checkpoint_filter_fn``) and torchvision's ResNet-50. With
p = 0 our prompted backbones, loaded from the converted files, must give
the peers' features and logits within 1e-4.
"""
import re

import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
import torchvision
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from timm.models.convnext import ConvNeXt as TimmConvNeXt
from timm.models.swin_transformer import SwinTransformer as TimmSwin

from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
from vpt_mm.checkpoint.converters.errors import ConversionError
from vpt_mm.checkpoint.converters.swin import unfold_merging_order
# isort: on

ATOL = 1e-4
CLASSES = 5
SWIN = dict(embed_dims=32, depths=(2, 2), num_heads=(2, 4))
CONVNEXT = dict(depths=(2, 1, 1, 1), channels=(8, 16, 24, 32))


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights and BatchNorm statistics everywhere."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            noise = torch.randn(tensor.shape, generator=generator)
            if name.endswith('running_var'):
                tensor.copy_(0.5 + noise.abs())
            elif tensor.dim() == 1 and name.endswith('weight'):
                tensor.copy_(1 + 0.2 * noise)  # norm scales
            else:
                tensor.copy_(0.2 * noise)
    return model.eval()


def images(size: int = 32) -> torch.Tensor:
    return torch.randn(
        2, 3, size, size, generator=torch.Generator().manual_seed(1))


def convert(weights: dict, tmp_path, name: str = 'weights.pth') -> tuple:
    src, dst = tmp_path / name, tmp_path / 'converted.pth'
    torch.save(weights, src)
    meta = convert_pretrained(str(src), str(dst))
    checkpoint = torch.load(dst, map_location='cpu', weights_only=True)
    return str(dst), meta, checkpoint


def build(cfg: dict, checkpoint: str) -> torch.nn.Module:
    cfg = dict(cfg)
    cfg['init_cfg'] = dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def linear_head(checkpoint: dict, in_channels: int) -> LinearClsHead:
    head = LinearClsHead(num_classes=CLASSES, in_channels=in_channels)
    head.load_state_dict({
        key[len('head.'):]: value
        for key, value in checkpoint['state_dict'].items()
        if key.startswith('head.')
    })
    return head.eval()


# -- Swin ------------------------------------------------------------------
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


# -- ConvNeXt --------------------------------------------------------------
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


# -- ResNet ----------------------------------------------------------------
def test_resnet50_matches_torchvision(tmp_path):
    torchvision_model = randomize(
        torchvision.models.resnet50(num_classes=CLASSES))
    # a raw state dict: torchvision's own file layout
    path, meta, checkpoint = convert(torchvision_model.state_dict(),
                                     tmp_path)
    assert meta['source_layout'] == 'torchvision_resnet'
    assert (meta['depth'], meta['stem_channels'], meta['base_channels'],
            meta['num_classes']) == (50, 64, 64, CLASSES)
    # BatchNorm statistics are weights too
    assert 'backbone.layer4.2.bn3.running_var' in checkpoint['state_dict']
    model = build(
        dict(
            type='PromptedResNet',
            depth=50,
            img_size=32,
            prompt_cfg=dict(num_tokens=0)), path)
    x = images()
    with torch.no_grad():
        [ours] = model(x)
        trunk = torch.nn.Sequential(*list(torchvision_model.children())[:-2])
        torch.testing.assert_close(ours, trunk(x), atol=ATOL, rtol=0)
        torch.testing.assert_close(
            linear_head(checkpoint, 2048).fc(ours.mean(dim=(2, 3))),
            torchvision_model(x),
            atol=ATOL,
            rtol=0)


def test_resnet_errors(tmp_path):
    weights = randomize(torchvision.models.resnet18()).state_dict()
    odd = {k: v for k, v in weights.items() if not k.startswith('layer4.1.')}
    with pytest.raises(ConversionError, match=r'\[2, 2, 2, 1\] basic'):
        convert(odd, tmp_path)
    weights['layer1.0.se.weight'] = torch.zeros(1)
    with pytest.raises(ConversionError, match='"layer1.0.se.weight" has no'):
        convert(weights, tmp_path)


def test_vit_options_are_refused_for_other_families(tmp_path):
    weights = randomize(torchvision.models.resnet18()).state_dict()
    src = tmp_path / 'weights.pth'
    torch.save(weights, src)
    with pytest.raises(ConversionError, match='img_size applies to ViT'):
        convert_pretrained(str(src), str(tmp_path / 'out.pth'), img_size=64)
    with pytest.raises(ConversionError, match='global_pool applies to ViT'):
        convert_pretrained(str(src), str(tmp_path / 'out.pth'),
                           global_pool=True)
    with pytest.raises(ConversionError, match='final_norm=False applies to'):
        convert_pretrained(str(src), str(tmp_path / 'out.pth'),
                           final_norm=False)
