# Full on VTAB-1k Structured KITTI/distance, ViT-B/16 (ImageNet-21k), 384 x
# 384: batch 128 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/full_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_kitti_384px_bs128.py',
]
model = dict(head=dict(num_classes=4))
