# Full on FGVC CUB-200-2011, ViT-B/16 (ImageNet-21k): batch 128 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/full_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_cub_bs128.py',
]
model = dict(head=dict(num_classes=200))
