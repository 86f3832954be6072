# VPT-deep on vtab1k-patch-camelyon, ViT-H/14 IN-21k (Fig. 4): p = 100
# (ViT-B's, Tab. 13), batch 14 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_patch_camelyon_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=2))
train_dataloader = dict(batch_size=14)
