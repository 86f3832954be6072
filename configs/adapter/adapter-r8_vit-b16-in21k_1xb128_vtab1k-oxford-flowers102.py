# Adapter (r = 8) on VTAB-1k Natural Flowers102, ViT-B/16 (ImageNet-21k): batch
# 128 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/adapter-r8_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_oxford_flowers102_bs128.py',
]
model = dict(head=dict(num_classes=102))
