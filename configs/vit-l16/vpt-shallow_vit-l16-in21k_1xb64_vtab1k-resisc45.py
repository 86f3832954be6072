# VPT-shallow on VTAB-1k Specialized Resisc45, ViT-L/16 (ImageNet-21k): p = 50
# (ViT-B's, Tab. 13), batch 64 (Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_resisc45_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=45))
train_dataloader = dict(batch_size=64)
