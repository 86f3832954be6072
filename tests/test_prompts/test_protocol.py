"""Every token prompt module answers one protocol: ``prompts(i, B)`` is
the ``(B, p, D)`` prompts of layer ``i``; layers without prompts are an
error; the one Xavier bound; copies of pixel prompts share the backbone's
embedding; stacked sets answer as one."""
import copy
import math

import pytest
import torch
from mmpretrain.registry import MODELS

from vpt_mm.prompts.base import Prompts
from vpt_mm.prompts.init import xavier_bound
from vpt_mm.prompts.pixel import ChannelPrompts, PixelPrompts
from vpt_mm.prompts.stacked import StackedPrompts
from vpt_mm.prompts.swin import SwinPrompts
from vpt_mm.prompts.tokens import PrefixPrompts

VIT = dict(
    type='PromptedViT',
    arch=dict(embed_dims=32, num_layers=3, num_heads=2,
              feedforward_channels=64),
    img_size=32, patch_size=8, out_type='cls_token')


def vit(**prompt_cfg):
    torch.manual_seed(0)
    return MODELS.build(dict(VIT, prompt_cfg=prompt_cfg))


def modules():
    """(module, layers, width of each layer's prompts, tokens per layer)."""
    backbone = vit(num_tokens=2, location='prepend-pixel')
    yield (PrefixPrompts(3, 32, 4, (8, 8), deep=True), (0, 1, 2, 3),
           [32] * 4, 3)
    yield PrefixPrompts(3, 32, 4, (8, 8), project=8), (0, ), [32], 3
    yield (PrefixPrompts(3, 32, 4, (8, 8), deep=True, layers=(1, 3),
                         sharing='intra'), (1, 3), [32] * 2, 3)
    yield backbone.prompt, (0, ), [32], 2
    yield ChannelPrompts(2, (32, 32), (8, 8), 16), (0, ), [16], 16
    yield (SwinPrompts(2, (16, 32), (2, 2), (4, 4), deep=True),
           (0, 1, 2, 3), [16, 16, 32, 32], 2)
    yield SwinPrompts(2, (16, 32), (2, 2), (4, 4)), (0, ), [16], 2


@pytest.mark.parametrize('case', range(7))
def test_every_prompt_module_answers_the_protocol(case):
    module, layers, widths, tokens = list(modules())[case]
    assert isinstance(module, Prompts)
    assert module.layers == layers
    for layer, width in zip(layers, widths):
        assert module.has_prompts_for(layer)
        out = module(layer, 5)
        assert out.shape == (5, tokens, width)
    missing = max(layers) + 1
    assert not module.has_prompts_for(missing)
    with pytest.raises(IndexError, match=f'no prompts for layer {missing}'):
        module(missing, 5)


def test_swin_deep_prompts_follow_the_official_layout():
    prompts = SwinPrompts(2, (16, 32), (2, 3), (4, 4), deep=True)
    # block 0: shallow; stage 0 block 1: deep_prompts[0][0]; stage 1
    # block j: deep_prompts[1][j]
    assert torch.equal(prompts(0, 1)[0], prompts.shallow_prompt[0])
    assert torch.equal(prompts(1, 1)[0], prompts.deep_prompts[0][0])
    for block in range(3):
        assert torch.equal(prompts(2 + block, 1)[0],
                           prompts.deep_prompts[1][block])


def test_the_one_xavier_bound():
    assert xavier_bound((16, 16), 768) == pytest.approx(
        math.sqrt(6. / (3 * 256 + 768)))
    # (module, patch size, width the bound is taken over)
    cases = [(PrefixPrompts(3, 32, 4, (8, 8), deep=True), (8, 8), 32),
             (PrefixPrompts(3, 32, 4, (8, 8), project=8), (8, 8), 8),
             (vit(num_tokens=2, location='prepend-pixel').prompt, (8, 8), 32),
             (ChannelPrompts(2, (32, 32), (8, 8), 16), (8, 8), 16),
             (SwinPrompts(2, (16, 32), (2, 2), (4, 4), deep=True), (4, 4),
              16)]
    for module, patch, width in cases:
        bound = xavier_bound(patch, width)
        assert module.init_bound == bound
        drawn = [param for name, param in module.named_parameters()
                 if name != 'kernel' and not name.startswith('proj.')]
        assert drawn and all(param.abs().max() <= bound for param in drawn)
        assert any(param.abs().max() > bound / 2 for param in drawn)
    assert isinstance(cases[2][0], PixelPrompts)


def test_pixel_prompts_use_but_do_not_own_the_patch_embedding():
    backbone = vit(num_tokens=2, location='prepend-pixel')
    prompts = backbone.prompt
    assert list(prompts.state_dict()) == ['pixels']
    assert [name for name, _ in prompts.named_parameters()] == ['pixels']
    # a copy of the prompts (an ensemble's set) uses the same embedding
    assert copy.deepcopy(prompts).patch_embed is backbone.patch_embed
    # a copy of the backbone uses the copy's embedding
    copied = copy.deepcopy(backbone)
    assert copied.prompt.patch_embed is copied.patch_embed
    with torch.no_grad():
        copied.patch_embed.projection.weight.add_(1.)
    assert not torch.equal(copied.prompt(0, 1), prompts(0, 1))


def test_stacked_prompts_answer_for_blocks_of_the_batch():
    sets = [PrefixPrompts(3, 32, 4, (8, 8), deep=True) for _ in range(2)]
    stacked = StackedPrompts(sets)
    out = stacked(2, 4)
    assert torch.equal(out[:2], sets[0](2, 2))
    assert torch.equal(out[2:], sets[1](2, 2))
    with pytest.raises(ValueError, match='batch of k blocks'):
        stacked(2, 3)
    with pytest.raises(ValueError, match='prompt set 1 has 2 tokens'):
        StackedPrompts([sets[0], PrefixPrompts(2, 32, 4, (8, 8), deep=True)])
