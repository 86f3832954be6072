# Adapter (r = 8) on VTAB-1k Natural Caltech101, ViT-B/16 (MoCo v3): batch 128
# (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/adapter-r8_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_caltech101_bs128.py',
]
model = dict(head=dict(num_classes=102))
