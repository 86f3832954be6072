# VPT-deep + Bias on VTAB-1k Structured Clevr/distance:
# p = 200, batch 64 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_clevr_dist_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=200))),
    head=dict(num_classes=6))
train_dataloader = dict(batch_size=64)
