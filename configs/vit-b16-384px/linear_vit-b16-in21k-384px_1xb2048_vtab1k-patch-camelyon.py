# Linear on VTAB-1k Specialized Patch Camelyon, ViT-B/16 (ImageNet-21k), 384 x
# 384: batch 2048 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/linear_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_patch_camelyon_384px_bs128.py',
]
model = dict(head=dict(num_classes=2))
train_dataloader = dict(batch_size=2048)
