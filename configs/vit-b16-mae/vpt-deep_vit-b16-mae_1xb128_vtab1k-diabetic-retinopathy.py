# VPT-deep on vtab1k-diabetic-retinopathy, ViT-B/16 MAE (Tab. 4): p = 1 (the
# IN-21k zoo's, Tabs. 13/14), batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_diabetic_retinopathy_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1)),
    head=dict(num_classes=5))
