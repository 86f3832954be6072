# VPT-deep on vtab1k-clevr-count at 384 x 384 (Tab. 11): p = 50 (224 px
# zoo's, Tab. 13), batch 128.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_clevr_count_384px_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=8))
