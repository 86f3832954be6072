"""PromptedSwin: the host exactly without prompts; prompts in every window
(bias and shift mask padded, outputs averaged), tiled at patch merging,
replaced per block when deep; never in a feature map; only they train."""
import pytest
import torch
from mmpretrain.models.backbones import SwinTransformer
from mmpretrain.registry import MODELS

from vpt_mm.models.backbones import PromptedSwin
from vpt_mm.checkpoint.strict import CheckpointMismatchError

# 32 px, patch 4: stage 0 is 8 x 8 (4 windows of 4 x 4, shifted in block
# 1), stage 1 is 4 x 4 (one window, no shift)
ARCH = dict(embed_dims=32, depths=(2, 2), num_heads=(2, 4))
BASE = dict(
    arch=ARCH, img_size=32, window_size=4, out_indices=(0, 1),
    drop_path_rate=0.)
P = 3


# one thread: tiny models, where more threads only oversubscribe
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def host_state() -> dict:
    torch.manual_seed(0)
    host = SwinTransformer(**BASE)
    with torch.no_grad():
        for param in host.parameters():
            param.normal_(0, 0.2)
    return host.state_dict()


def build(host_state: dict, **prompt_cfg) -> PromptedSwin:
    kwargs = dict(BASE)
    kwargs.update(prompt_cfg.pop('kwargs', {}))
    model = MODELS.build(
        dict(type='PromptedSwin', prompt_cfg=prompt_cfg, **kwargs))
    model.load_state_dict(host_state, strict=False)
    return model.eval()


def images(batch: int = 2) -> torch.Tensor:
    return torch.randn(
        batch, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def test_no_prompts_is_the_host(host_state):
    host = SwinTransformer(**BASE)
    host.load_state_dict(host_state)
    host.eval()
    model = build(host_state, num_tokens=0)
    assert model.prompt is None
    assert not any(p.requires_grad for p in model.parameters())
    x = images()
    with torch.no_grad():
        for ours, theirs in zip(model(x), host(x)):
            assert torch.equal(ours, theirs)
        model.out_type = 'avg_featmap'
        for ours, theirs in zip(model(x), host(x)):
            torch.testing.assert_close(ours, theirs.mean(dim=(2, 3)))


def naive_window_attention(shift_msa, x, prompts, hw_shape):
    """Reference: the official behaviour written out window by window."""
    w_msa = shift_msa.w_msa
    batch, _, dims = x.shape
    height, width = hw_shape
    size, shift = shift_msa.window_size, shift_msa.shift_size
    if min(hw_shape) == size:
        shift = 0
    grid = x.view(batch, height, width, dims)
    if shift:
        grid = torch.roll(grid, (-shift, -shift), dims=(1, 2))
    mask = shift_msa.get_attn_mask((height, width), size, shift)
    heads, p = w_msa.num_heads, prompts.shape[1]
    length = size * size
    bias = w_msa.relative_position_bias_table[
        w_msa.relative_position_index.view(-1)].view(length, length, -1)
    full_bias = torch.zeros(heads, p + length, p + length)
    full_bias[:, p:, p:] = bias.permute(2, 0, 1)
    out_grid = torch.zeros_like(grid)
    prompt_out = torch.zeros_like(prompts)
    windows = 0
    for b in range(batch):
        windows = 0
        for row in range(0, height, size):
            for col in range(0, width, size):
                tokens = torch.cat(
                    (prompts[b],
                     grid[b, row:row + size, col:col + size].reshape(-1,
                                                                     dims)))
                q, k, v = w_msa.qkv(tokens).view(
                    -1, 3, heads, dims // heads).permute(1, 2, 0, 3)
                logits = q @ k.transpose(-2, -1) * w_msa.scale + full_bias
                if mask is not None:
                    window_mask = torch.zeros(p + length, p + length)
                    window_mask[p:, p:] = mask[windows]
                    logits = logits + window_mask
                out = (logits.softmax(-1) @ v).transpose(0, 1).reshape(
                    -1, dims)
                out = w_msa.proj(out)
                prompt_out[b] += out[:p]
                out_grid[b, row:row + size, col:col + size] = out[p:].view(
                    size, size, dims)
                windows += 1
    if shift:
        out_grid = torch.roll(out_grid, (shift, shift), dims=(1, 2))
    return out_grid.reshape(batch, -1, dims), prompt_out / windows


@pytest.mark.parametrize('block_index', [0, 1])  # plain, shifted windows
def test_window_attention_matches_reference(block_index, host_state):
    model = build(host_state, num_tokens=P)
    shift_msa = model.stages[0].blocks[block_index].attn
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(2, 64, 32, generator=generator)
    prompts = torch.randn(2, P, 32, generator=generator)
    with torch.no_grad():
        ours = model.shift_window_attention(shift_msa, x, prompts, (8, 8))
        expected = naive_window_attention(shift_msa, x, prompts, (8, 8))
    assert shift_msa.shift_size == 2 * block_index
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_prompts_are_merged_like_image_tokens(host_state):
    """A prompt tiled at patch merging is what the host's merging makes of
    a 2 x 2 patch whose four tokens are that prompt (layout-independent)."""
    model = build(host_state, num_tokens=P)
    merging = model.stages[0].downsample
    prompts = torch.randn(2, P, 32)
    x = torch.randn(2, 64, 32)
    with torch.no_grad():
        merged_x, merged_prompts, hw = model.merge_patches(
            merging, x, prompts, (8, 8))
        assert torch.equal(merged_x, merging(x, (8, 8))[0]) and hw == (4, 4)
        for i in range(P):
            patch = prompts[:, i:i + 1].expand(-1, 4, -1)
            expected, _ = merging(patch, (2, 2))
            torch.testing.assert_close(merged_prompts[:, i], expected[:, 0])


def test_prompts_change_image_tokens_but_never_reach_outputs(host_state):
    plain = build(host_state, num_tokens=0)
    model = build(host_state, num_tokens=P)
    assert model.prompt.shallow_prompt.shape == (1, P, 32)
    assert model.prompt.init_bound == pytest.approx((6 / (48 + 32))**0.5)
    x = images()
    with torch.no_grad():
        outs, plain_outs = model(x), plain(x)
    for ours, theirs in zip(outs, plain_outs):
        assert ours.shape == theirs.shape  # (B, C, H, W): image tokens only
        assert (ours - theirs).abs().max() > 1e-3
    # the classification output averages all tokens, prompts included
    model.out_type = 'avg_featmap'
    with torch.no_grad():
        pooled = model(x)[1]
    assert pooled.shape == (2, 64)
    assert (pooled - outs[1].mean(dim=(2, 3))).abs().max() > 1e-4


def test_deep_prompts_replace_per_block(host_state):
    model = build(host_state, num_tokens=P, deep=True)
    shapes = [tuple(p.shape) for p in model.prompt.deep_prompts]
    assert shapes == [(1, P, 32), (2, P, 64)]
    x = images()
    with torch.no_grad():
        before = model(x)
        # (a constant shift would vanish in the blocks' LayerNorm)
        model.prompt.deep_prompts[1][1].add_(torch.randn(P, 64))  # stage 1
        after = model(x)
        assert torch.equal(before[0], after[0])
        assert (before[1] - after[1]).abs().max() > 1e-3
        # stage 0's second block has its own prompts
        model.prompt.deep_prompts[0].add_(torch.randn(1, P, 32))
        changed = model(x)
        assert (changed[0] - after[0]).abs().max() > 1e-3


def test_only_prompts_train(host_state):
    model = build(host_state, num_tokens=P, deep=True, dropout=0.1)
    model.train()
    assert model.prompt.training
    assert not any(m.training for m in model.stages.modules())
    assert not model.patch_embed.training
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {
        'prompt.shallow_prompt', 'prompt.deep_prompts.0',
        'prompt.deep_prompts.1'
    }
    model.out_type = 'avg_featmap'
    model(images())[1].sum().backward()
    for name, param in model.named_parameters():
        if name in trainable:
            assert param.grad is not None and param.grad.abs().sum() > 0
        else:
            assert param.grad is None


def test_pretrained_loading_is_strict(host_state, tmp_path):
    path = tmp_path / 'swin.pth'
    # relative position indices are computed buffers: they may be absent
    weights = {
        f'backbone.{k}': v
        for k, v in host_state.items()
        if not k.endswith('relative_position_index')
    }
    torch.save(dict(state_dict=weights), path)
    cfg = dict(
        type='PromptedSwin',
        prompt_cfg=dict(num_tokens=P),
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='backbone.'),
        **BASE)
    model = MODELS.build(cfg)
    model.init_weights()
    assert torch.equal(model.norm1.weight, host_state['norm1.weight'])
    del weights['backbone.norm1.bias']
    torch.save(dict(state_dict=weights), path)
    with pytest.raises(CheckpointMismatchError, match='norm1.bias'):
        MODELS.build(cfg).init_weights()


@pytest.mark.parametrize('cfg, match', [
    (dict(prompt_cfg=dict(num_tokens=P, project=8)), 'prompt_cfg.project'),
    (dict(prompt_cfg=dict(num_tokens=P, length=2)), 'length'),
    # the ViT's ablation keys are refused, not ignored
    (dict(prompt_cfg=dict(num_tokens=P, sharing='all')),
     r"\['sharing'\] are not supported by PromptedSwin"),
    (dict(prompt_cfg=dict(num_tokens=P, deep_mode='token')), 'deep_mode'),
    (dict(prompt_cfg=dict(num_tokens=-1)), 'prompt_cfg.num_tokens'),
    (dict(out_type='cls_token'), 'out_type'),
    (dict(prompt_cfg=dict(num_tokens=P), with_cp=True), 'with_cp'),
])
def test_bad_config(cfg, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(type='PromptedSwin', **BASE, **cfg))


def test_unpadded_small_map_is_an_error(host_state):
    model = build(host_state, num_tokens=P)
    with pytest.raises(ValueError, match='smaller than the window size'):
        model(torch.randn(1, 3, 16, 16))  # stage 1 is 2 x 2 < 4


def test_padded_maps(host_state):
    """Maps that windows do not tile are padded as by the host."""
    model = build(host_state, num_tokens=P, kwargs=dict(pad_small_map=True))
    plain = build(host_state, num_tokens=0, kwargs=dict(pad_small_map=True))
    x = torch.randn(1, 3, 24, 24)  # 6 x 6 and 3 x 3 maps, windows of 4
    with torch.no_grad():
        outs = model(x)
        assert [tuple(o.shape) for o in outs] == \
            [tuple(o.shape) for o in plain(x)] == [(1, 32, 6, 6),
                                                   (1, 64, 3, 3)]
    assert all(torch.isfinite(o).all() for o in outs)


def test_segmentation_backbone(host_state):
    """In mmseg's registry too; its decode heads get image-token maps."""
    from mmseg.registry import MODELS as SEG_MODELS
    model = SEG_MODELS.build(
        dict(type='PromptedSwin', prompt_cfg=dict(num_tokens=P, deep=True),
             **BASE))
    model.eval()
    with torch.no_grad():
        outs = model(images(1))
    assert [tuple(o.shape) for o in outs] == [(1, 32, 8, 8), (1, 64, 4, 4)]
