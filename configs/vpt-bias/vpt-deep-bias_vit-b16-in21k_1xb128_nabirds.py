# VPT-deep + Bias on FGVC NABirds: p = 50, batch 128 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep-bias_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_nabirds_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=50))),
    head=dict(num_classes=555))
