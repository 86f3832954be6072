# VPT-deep on VTAB-1k Specialized EuroSAT, ViT-B/16 (ImageNet-21k): p = 100
# (Tab. 13), batch 64 (Tab. 8: p >= 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_eurosat_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=10))
train_dataloader = dict(batch_size=64)
