# Partial-1 on a ViT-B/16 pretrained with MoCo v3 (ImageNet-1k), Tab. 4: the
# last block, the final norm and the head train; otherwise as
# partial-1_vit-b16-in21k.py (AdamW, Tab. 8 batch 1280, deltas).
_base_ = './partial-1_vit-b16-in21k.py'
# MoCo v3's read-out, as for the supervised ViT: the final LayerNorm,
# then the [CLS] token.
model = dict(
    backbone=dict(
        module=dict(
            init_cfg=dict(checkpoint='checkpoints/vit-b16_mocov3.pth'))))
