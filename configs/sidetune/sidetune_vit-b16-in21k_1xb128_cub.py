# Sidetune on FGVC CUB-200-2011, ViT-B/16 (ImageNet-21k): batch 128 (as Bias';
# Tab. 8 gives none).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/sidetune_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_cub_bs128.py',
]
model = dict(head=dict(num_classes=200))
