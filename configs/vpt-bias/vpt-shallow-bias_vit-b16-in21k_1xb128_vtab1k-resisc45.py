# VPT-shallow + Bias on VTAB-1k Specialized Resisc45:
# p = 50, batch 128 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_resisc45_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=50))),
    head=dict(num_classes=45))
