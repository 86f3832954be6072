# VPT-deep + Bias on VTAB-1k Natural Sun397: p = 5, batch 128 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_sun397_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=5))),
    head=dict(num_classes=397))
