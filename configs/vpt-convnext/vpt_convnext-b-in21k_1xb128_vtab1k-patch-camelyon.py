# VPT (pixel prompts) on VTAB-1k Specialized Patch Camelyon, ConvNeXt-B
# (ImageNet-21k): batch 128 (Tab. 8). p = 5; tools/sweep.py searches {1, 3, 5,
# 7, 9, 11} (A.1).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt_convnext-b-in21k.py',
    '../_base_/datasets/vtab1k_patch_camelyon_bs128.py',
]
model = dict(head=dict(num_classes=2))
