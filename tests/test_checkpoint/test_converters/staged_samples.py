"""What the Swin / ConvNeXt / ResNet converter tests share: random weights,
the conversion and mmpretrain models to load the results into.

(A helper module, imported by the tests of this folder.)
"""
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS

from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
# isort: on

ATOL = 1e-4
CLASSES = 5


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
