"""The prompted backbones as UperNet, Segmenter and Swin-UperNet see them:
multi-level outputs of image tokens only, and with p = 0 the host's maps
(position embeddings interpolated, Swin's odd sizes padded)."""
import pytest
import torch
from mmpretrain.models.backbones import SwinTransformer, VisionTransformer
from mmseg.registry import MODELS

VIT_ARCH = dict(embed_dims=32, num_layers=12, num_heads=2,
                feedforward_channels=64)
# (out_indices, final_norm) of UperNet + MLN, MAE's UperNet, Segmenter
VIT_LEVELS = {
    'upernet-mln': ((2, 5, 8, 11), False),
    'mae-upernet': ((3, 5, 7, 11), False),
    'segmenter': ((11, ), True),
}
SWIN = dict(arch=dict(embed_dims=16, depths=(2, 2, 2, 2),
                      num_heads=(1, 2, 2, 4)),
            img_size=32, window_size=4, out_indices=(0, 1, 2, 3),
            pad_small_map=True, drop_path_rate=0.)


# one thread: tiny models, where more threads only oversubscribe
pytestmark = pytest.mark.usefixtures('one_thread')


def vit_kwargs(levels):
    out_indices, final_norm = VIT_LEVELS[levels]
    return dict(arch=VIT_ARCH, img_size=(64, 64), patch_size=16,
                out_type='featmap', out_indices=out_indices,
                with_cls_token=True, final_norm=final_norm,
                interpolate_mode='bicubic', drop_path_rate=0.)


def randomised(module):
    torch.manual_seed(0)
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, 0.2)
    module.eval()
    return module


@pytest.mark.parametrize('levels', sorted(VIT_LEVELS))
def test_vit_without_prompts_is_the_host(levels):
    """80 x 48 px on a 64 x 64 position grid: the host's interpolated
    position embedding, the host's maps at every level."""
    host = randomised(VisionTransformer(**vit_kwargs(levels)))
    model = MODELS.build(dict(type='PromptedViT', prompt_cfg=dict(
        num_tokens=0), **vit_kwargs(levels))).eval()
    model.load_state_dict(host.state_dict())
    x = torch.randn(2, 3, 48, 80)
    with torch.no_grad():
        ours, theirs = model(x), host(x)
    assert len(ours) == len(VIT_LEVELS[levels][0])
    for a, b in zip(ours, theirs):
        assert a.shape == (2, 32, 3, 5)
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize('levels', sorted(VIT_LEVELS))
@pytest.mark.parametrize('deep', [False, True])
def test_vit_levels_hold_image_tokens_only(levels, deep):
    host = randomised(VisionTransformer(**vit_kwargs(levels)))
    model = MODELS.build(dict(type='PromptedViT', prompt_cfg=dict(
        num_tokens=5, deep=deep), **vit_kwargs(levels))).eval()
    model.load_state_dict(host.state_dict(), strict=False)
    x = torch.randn(1, 3, 48, 80)
    with torch.no_grad():
        ours, theirs = model(x), host(x)
    for a, b in zip(ours, theirs):
        # 3 x 5 patches: no prompt among them, yet they saw the prompts
        assert a.shape == b.shape == (1, 32, 3, 5)
        assert not torch.allclose(a, b)


@pytest.mark.parametrize('size', [(32, 32), (36, 52), (20, 44)])
def test_swin_without_prompts_is_the_host_at_odd_sizes(size):
    """Maps that windows do not tile (9 x 13, 5 x 11, ...) are padded as
    by the host, at every stage."""
    host = randomised(SwinTransformer(**SWIN))
    model = MODELS.build(dict(type='PromptedSwin', prompt_cfg=dict(
        num_tokens=0), **SWIN)).eval()
    model.load_state_dict(host.state_dict())
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        ours, theirs = model(x), host(x)
    assert len(ours) == 4
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize('size', [(32, 32), (36, 52)])
def test_swin_levels_hold_image_tokens_only(size):
    host = randomised(SwinTransformer(**SWIN))
    model = MODELS.build(dict(type='PromptedSwin', prompt_cfg=dict(
        num_tokens=3, deep=True), **SWIN)).eval()
    model.load_state_dict(host.state_dict(), strict=False)
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        ours, theirs = model(x), host(x)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        assert not torch.allclose(a, b)
