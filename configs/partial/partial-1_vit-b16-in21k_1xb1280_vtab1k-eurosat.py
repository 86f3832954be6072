# Partial-1 on VTAB-1k Specialized EuroSAT, ViT-B/16 (ImageNet-21k): batch 1280
# (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/partial-1_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_eurosat_bs128.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(batch_size=1280)
