# VPT-shallow on a ViT-B/16 pretrained with MoCo v3 (ImageNet-1k), Tab. 4;
# otherwise as vpt-shallow_vit-b16-in21k.py (schedule, Tab. 8 batches).
# MoCo v3's read-out, as for the supervised ViT: the final LayerNorm,
# then the [CLS] token.
_base_ = './vpt-shallow_vit-b16-in21k.py'
model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='checkpoints/vit-b16_mocov3.pth')))
