"""Where the blocks, final norms and FFNs of each backbone family are.

By the hosts' own module containers (``layers``, ``stages[i].blocks``,
``res_layers``), for mmpretrain's and mmseg's VisionTransformer,
SwinTransformer, ConvNeXt and ResNet and their subclasses (the vpt_mm
prompted backbones).
"""
from typing import List

from mmpretrain.models.backbones import ConvNeXt as PretrainConvNeXt
from mmpretrain.models.backbones import ResNet as PretrainResNet
from mmpretrain.models.backbones import \
    SwinTransformer as PretrainSwinTransformer
from mmpretrain.models.backbones import \
    VisionTransformer as PretrainVisionTransformer
from mmseg.models.backbones import ResNet as SegResNet
from mmseg.models.backbones import SwinTransformer as SegSwinTransformer
from mmseg.models.backbones import VisionTransformer as SegVisionTransformer
from torch import nn

from .base import PEFTWrapper

VIT = (PretrainVisionTransformer, SegVisionTransformer)
SWIN = (PretrainSwinTransformer, SegSwinTransformer)
CONVNEXT = (PretrainConvNeXt, )
RESNET = (PretrainResNet, SegResNet)
FAMILIES = 'VisionTransformer, SwinTransformer, ConvNeXt, ResNet'


def _unsupported(backbone: nn.Module, what: str) -> TypeError:
    return TypeError(f'{what}: {type(backbone).__name__} is not a backbone '
                     f'of a supported family ({FAMILIES}, mmpretrain or '
                     'mmseg, and their subclasses)')


def host_of(backbone: nn.Module) -> nn.Module:
    """The backbone inside any PEFT wrappers."""
    while isinstance(backbone, PEFTWrapper):
        backbone = backbone.module
    return backbone


def blocks_of(backbone: nn.Module) -> List[nn.Module]:
    """The backbone's blocks (transformer layers, Swin blocks, ConvNeXt
    blocks, residual blocks) in forward order."""
    backbone = host_of(backbone)
    if isinstance(backbone, VIT):
        return list(backbone.layers)
    if isinstance(backbone, SWIN):
        return [block for stage in backbone.stages for block in stage.blocks]
    if isinstance(backbone, CONVNEXT):
        return [block for stage in backbone.stages for block in stage]
    if isinstance(backbone, RESNET):
        return [
            block for name in backbone.res_layers
            for block in getattr(backbone, name)
        ]
    raise _unsupported(backbone, 'blocks')


def final_norms_of(backbone: nn.Module) -> List[nn.Module]:
    """The norm layers after the last block (none for ResNet)."""
    backbone = host_of(backbone)
    if isinstance(backbone, PretrainVisionTransformer):
        # ln1: the final norm, ln2: the norm of avg_featmap outputs; each
        # an Identity (no parameters) when not used
        candidates = [getattr(backbone, 'ln1', None),
                      getattr(backbone, 'ln2', None)]
    elif isinstance(backbone, SegVisionTransformer):
        candidates = [backbone.norm1] if backbone.final_norm else []
    elif isinstance(backbone, SWIN + CONVNEXT):
        candidates = [getattr(backbone, f'norm{len(backbone.stages) - 1}',
                              None)]
    elif isinstance(backbone, RESNET):
        candidates = []
    else:
        raise _unsupported(backbone, 'final norms')
    return [
        norm for norm in candidates
        if norm is not None and any(True for _ in norm.parameters())
    ]


def ffns_of(backbone: nn.Module) -> List[nn.Module]:
    """The FFN sub-layer of every transformer block (ViT and Swin); each
    has the MLP ``layers`` whose output the residual is added to."""
    backbone = host_of(backbone)
    if not isinstance(backbone, VIT + SWIN):
        raise TypeError(
            'adapters go after the FFN sub-layer of transformer blocks: '
            f'{type(backbone).__name__} is not a VisionTransformer or '
            'SwinTransformer (mmpretrain or mmseg)')
    ffns = []
    for index, block in enumerate(blocks_of(backbone)):
        ffn = getattr(block, 'ffn', None)
        if not isinstance(getattr(ffn, 'layers', None), nn.Module):
            raise TypeError(
                f'block {index} of {type(backbone).__name__} has no FFN '
                f'with MLP layers (got {type(ffn).__name__})')
        ffns.append(ffn)
    return ffns


def feature_dims_of(backbone: nn.Module) -> int:
    """Channels of the backbone's last output."""
    backbone = host_of(backbone)
    if isinstance(backbone, VIT):
        return backbone.embed_dims
    if isinstance(backbone, SWIN):
        return backbone.num_features[-1]
    if isinstance(backbone, CONVNEXT):
        return backbone.channels[-1]
    if isinstance(backbone, PretrainResNet):
        return backbone.feat_dim
    if isinstance(backbone, SegResNet):
        return backbone.base_channels * 2**(len(backbone.res_layers) - 1) \
            * backbone.block.expansion
    raise _unsupported(backbone, 'feature dims')
