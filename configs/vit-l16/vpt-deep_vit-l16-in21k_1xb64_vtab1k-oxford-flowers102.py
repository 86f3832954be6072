# VPT-deep on VTAB-1k Natural Flowers102, ViT-L/16 (ImageNet-21k): p = 1
# (ViT-B's, Tab. 13), batch 64 (Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_oxford_flowers102_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1)),
    head=dict(num_classes=102))
train_dataloader = dict(batch_size=64)
