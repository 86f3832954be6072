# VPT-deep on vtab1k-kitti, ViT-B/16 MAE (Tab. 4): p = 50 (the IN-21k zoo's,
# Tabs. 13/14), batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_kitti_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=4))
