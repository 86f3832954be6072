# Full on VTAB-1k Structured dSprites/location, ViT-H/14 (ImageNet-21k): batch
# 28 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/full_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_dsprites_loc_bs128.py',
]
model = dict(head=dict(num_classes=16))
train_dataloader = dict(batch_size=28)
