"""Layer-wise lr decay for a segmentor over mmpretrain's ViT (the MAE
UperNet Full config)."""
import pytest
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.models.backbones import VisionTransformer
from torch import nn

import vpt_mm.modules  # noqa: F401  (registers the constructor)

ARCH = dict(embed_dims=16, num_layers=4, num_heads=2,
            feedforward_channels=32)


class Segmentor(nn.Module):

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.decode_head = nn.Linear(16, 3)


def _cfg() -> dict:
    """The MAE UperNet Full config's form, in mmseg's scope."""
    return dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=1.0, weight_decay=0.05),
        constructor='SegmentorLayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(
            layer_decay_rate=0.5,
            flat_decay_mult=0.,
            custom_keys={
                'pos_embed': dict(decay_mult=0.),
                'cls_token': dict(decay_mult=0.)
            }))


def lrs(model: nn.Module) -> dict:
    with DefaultScope.overwrite_default_scope('mmseg'):
        wrapper = build_optim_wrapper(model, _cfg())
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: (group['lr'], group['weight_decay'])
            for group in wrapper.optimizer.param_groups
            for p in group['params']}


def test_backbone_layers_decay_and_the_heads_keep_the_lr():
    model = Segmentor(VisionTransformer(arch=ARCH, img_size=32,
                                        patch_size=16))
    got = lrs(model)
    # 4 layers: depths 0 (embeddings) .. 5 (heads); lr 0.5 ** (5 - depth)
    assert got['backbone.pos_embed'] == (0.5**5, 0.)
    assert got['backbone.patch_embed.projection.weight'] == (0.5**5, 0.05)
    assert got['backbone.layers.0.attn.qkv.weight'] == (0.5**4, 0.05)
    assert got['backbone.layers.3.attn.qkv.weight'] == (0.5, 0.05)
    assert got['backbone.layers.3.attn.qkv.bias'] == (0.5, 0.)
    assert got['decode_head.weight'] == (1.0, 0.05)


def test_a_backbone_without_depths_is_an_error():
    with pytest.raises(TypeError, match='has no get_layer_depth'):
        lrs(Segmentor(nn.Linear(16, 16)))
