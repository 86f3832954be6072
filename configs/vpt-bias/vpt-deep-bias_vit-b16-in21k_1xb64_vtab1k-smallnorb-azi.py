# VPT-deep + Bias on VTAB-1k Structured SmallNORB/azimuth:
# p = 200, batch 64 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_azi_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=200))),
    head=dict(num_classes=18))
train_dataloader = dict(batch_size=64)
