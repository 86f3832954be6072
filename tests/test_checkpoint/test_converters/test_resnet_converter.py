"""The converter on torchvision ResNet state dicts
(``vpt_mm.checkpoint.converters.resnet``), and the ViT-only options refused
for the non-ViT families.

The peer is torchvision's ResNet-50; with p = 0 our prompted backbone,
loaded from the converted file, must give its features and logits within
1e-4.
"""
import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
import torchvision

from staged_samples import (ATOL, CLASSES, build, convert, images,
                            linear_head, randomize)
from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
from vpt_mm.checkpoint.converters.errors import ConversionError
# isort: on

pytestmark = pytest.mark.usefixtures('one_thread')


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
