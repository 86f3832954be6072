# Full on VTAB-1k Natural Flowers102, ViT-H/14 (ImageNet-21k): batch 28
# (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/full_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_oxford_flowers102_bs128.py',
]
model = dict(head=dict(num_classes=102))
train_dataloader = dict(batch_size=28)
