# VPT-deep on VTAB-1k Specialized Retinopathy, ViT-H/14 (ImageNet-21k): p = 1
# (ViT-B's, Tab. 13), batch 28 (Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_diabetic_retinopathy_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1)),
    head=dict(num_classes=5))
train_dataloader = dict(batch_size=28)
