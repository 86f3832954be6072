# VPT-deep on VTAB-1k Structured Clevr/count: p = 50 (Tab. 13), batch 128
# (Tab. 8: p < 100).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_clevr_count_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=8))
