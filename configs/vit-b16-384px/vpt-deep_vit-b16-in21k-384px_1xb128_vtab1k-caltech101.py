# VPT-deep on vtab1k-caltech101 at 384 x 384 (Tab. 11): p = 10 (224 px zoo's,
# Tab. 13), batch 128.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_caltech101_384px_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10)),
    head=dict(num_classes=102))
