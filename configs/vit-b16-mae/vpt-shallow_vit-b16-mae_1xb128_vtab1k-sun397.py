# VPT-shallow on VTAB-1k Natural Sun397, ViT-B/16 (MAE): p = 1 (the IN-21k
# zoo's, Tab. 13), batch 128 (Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_sun397_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1)),
    head=dict(num_classes=397))
