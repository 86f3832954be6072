"""Fixtures of the converter tests: a small timm ViT and its file, and one
thread for the Swin / ConvNeXt / ResNet peers."""
import pytest
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from timm.models.vision_transformer import VisionTransformer as TimmViT

from vit_samples import timm_vit
# isort: on


@pytest.fixture(scope='module')
def timm_model() -> TimmViT:
    return timm_vit()


@pytest.fixture(scope='module')
def timm_file(timm_model, tmp_path_factory) -> str:
    """A raw timm state dict, under a name that says nothing."""
    path = str(tmp_path_factory.mktemp('timm') / 'weights.bin')
    torch.save(timm_model.state_dict(), path)
    return path
