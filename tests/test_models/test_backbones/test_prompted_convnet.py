"""Pixel prompts (the official "pad" prompter) and the frozen ConvNets
behind them: the image is untouched in the centre, only the border learns,
BatchNorm statistics never move."""
import pytest
import torch
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS

from vpt_mm.prompts.border import PadPrompter

SIZE, P = 32, 3
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
RESNET = dict(depth=18, stem_channels=8, base_channels=8)
CONVNEXT = dict(arch=dict(depths=(1, 1, 1, 1), channels=(8, 8, 16, 16)))


# one thread: tiny models, where more threads only oversubscribe
pytestmark = pytest.mark.usefixtures('one_thread')


def images(batch: int = 2, size: int = SIZE) -> torch.Tensor:
    return torch.randn(
        batch, 3, size, size, generator=torch.Generator().manual_seed(1))


def test_pad_prompter_layout():
    prompter = PadPrompter(P, SIZE)
    top_bottom, left_right = prompter.top_bottom, prompter.left_right
    assert top_bottom.shape == (1, 3, 2 * P, SIZE + 2 * P)
    assert left_right.shape == (1, 3, SIZE, 2 * P)
    for param in (top_bottom, left_right):  # Uniform(0, 1) pixels
        assert 0 <= param.min() and param.max() <= 1
    x = images()
    out = prompter(x)
    assert out.shape == (2, 3, SIZE + 2 * P, SIZE + 2 * P)
    assert torch.equal(out[:, :, P:-P, P:-P], x)  # the image, bit for bit
    top_bottom = (top_bottom - MEAN) / STD  # normalised like the images
    left_right = (left_right - MEAN) / STD
    expected = {
        'top': (out[:, :, :P], top_bottom[:, :, :P]),
        'bottom': (out[:, :, -P:], top_bottom[:, :, P:]),
        'left': (out[:, :, P:-P, :P], left_right[..., :P]),
        'right': (out[:, :, P:-P, -P:], left_right[..., P:]),
    }
    for name, (got, want) in expected.items():
        torch.testing.assert_close(
            got, want.expand_as(got), msg=f'{name} border')


def test_gaussian_prompter_is_not_normalised():
    prompter = PadPrompter(P, SIZE, init='gaussian')
    out = prompter(images())
    assert torch.equal(out[:1, :, :P], prompter.top_bottom[:, :, :P])


def test_pad_prompter_checks_its_input():
    with pytest.raises(ValueError, match=r'\(B, 3, 32, 32\) inputs'):
        PadPrompter(P, SIZE)(images(size=24))


@pytest.mark.parametrize('kind, kwargs', [('PromptedResNet', RESNET),
                                          ('PromptedConvNeXt', CONVNEXT)])
def test_backbone_sees_the_padded_image(kind, kwargs):
    plain = MODELS.build(
        dict(type=kind, prompt_cfg=dict(num_tokens=0), **kwargs))
    model = MODELS.build(
        dict(type=kind, img_size=SIZE, prompt_cfg=dict(num_tokens=P),
             **kwargs))
    model.load_state_dict(plain.state_dict(), strict=False)
    plain.eval(), model.eval()
    assert plain.prompt is None and not any(
        p.requires_grad for p in plain.parameters())
    x = images()
    with torch.no_grad():
        [ours] = model(x)
        [expected] = plain(model.prompt(x))
    assert torch.equal(ours, expected)
    with torch.no_grad():
        assert (ours - plain(x)[0]).abs().max() > 1e-4


def test_no_prompts_is_the_host():
    host = ResNet(**RESNET)
    host.init_weights()
    host.eval()
    model = MODELS.build(
        dict(type='PromptedResNet', prompt_cfg=dict(num_tokens=0), **RESNET))
    model.load_state_dict(host.state_dict())
    model.eval()
    x = images()
    with torch.no_grad():
        assert torch.equal(model(x)[0], host(x)[0])


def test_frozen_resnet_trains_only_its_border():
    """Two SGD steps in train mode: the border and the head move; every
    backbone tensor, BatchNorm statistics included, stays bit-identical."""
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='PromptedResNet',
                img_size=SIZE,
                prompt_cfg=dict(num_tokens=P),
                **RESNET),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=64)))
    model.init_weights()
    backbone = model.backbone
    before = {
        k: v.clone()
        for k, v in backbone.state_dict().items() if 'prompt' not in k
    }
    prompts_before = backbone.prompt.top_bottom.detach().clone()
    trainable = [p for p in model.parameters() if p.requires_grad]
    names = {n for n, p in backbone.named_parameters() if p.requires_grad}
    assert names == {'prompt.top_bottom', 'prompt.left_right'}
    optimizer = torch.optim.SGD(trainable, lr=0.1, momentum=0.9)
    model.train()
    assert backbone.prompt.training and model.head.training
    assert not any(
        m.training for m in backbone.modules()
        if m is not backbone and m is not backbone.prompt)
    for _ in range(2):
        optimizer.zero_grad()
        loss = model.head.loss(
            model.extract_feat(images()), [
                _sample(label) for label in (0, 2)])['loss']
        loss.backward()
        optimizer.step()
    after = backbone.state_dict()
    for key, value in before.items():
        assert torch.equal(after[key], value), key
    assert not torch.equal(backbone.prompt.top_bottom, prompts_before)
    assert all(
        p.grad is None for n, p in backbone.named_parameters()
        if n not in names)


def _sample(label: int):
    from mmpretrain.structures import DataSample
    return DataSample().set_gt_label(label)


@pytest.mark.parametrize('prompt_cfg, match', [
    (dict(num_tokens=P, deep=True), 'prompt_cfg.deep'),
    (dict(num_tokens=P, dropout=0.1), 'prompt_cfg.dropout'),
    (dict(num_tokens=P, project=8), 'prompt_cfg.project'),
    (dict(num_tokens=P, init='zeros'), 'prompt_cfg.init'),
    (dict(num_tokens=P, width=2), 'width'),
    (dict(num_tokens=P, location='add'),
     r"\['location'\] are not supported by a pixel-prompted backbone"),
    (dict(num_tokens=1.5), 'prompt_cfg.num_tokens'),
])
def test_bad_prompt_cfg(prompt_cfg, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(
            dict(type='PromptedConvNeXt', prompt_cfg=prompt_cfg, **CONVNEXT))
