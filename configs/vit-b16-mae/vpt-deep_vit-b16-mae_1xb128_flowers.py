# VPT-deep on FGVC Oxford Flowers, ViT-B/16 (MAE): p = 5 (the IN-21k zoo's,
# Tab. 14), batch 128 (Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-mae.py',
    '../_base_/datasets/fgvc_flowers_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=5)),
    head=dict(num_classes=102))
