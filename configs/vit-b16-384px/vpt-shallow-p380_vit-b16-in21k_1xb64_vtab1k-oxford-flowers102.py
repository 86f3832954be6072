# VPT-shallow on VTAB-1k Natural Flowers102, ViT-B/16 (ImageNet-21k): p = 380
# (Tab. 11: 1 + 380 + 196 tokens, as many as 384 px), batch 64 (Tab. 8: p >=
# 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_oxford_flowers102_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=380)),
    head=dict(num_classes=102))
train_dataloader = dict(batch_size=64)
