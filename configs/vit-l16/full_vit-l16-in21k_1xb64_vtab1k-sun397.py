# Full on VTAB-1k Natural Sun397, ViT-L/16 (ImageNet-21k): batch 64 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/full_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_sun397_bs128.py',
]
model = dict(head=dict(num_classes=397))
train_dataloader = dict(batch_size=64)
