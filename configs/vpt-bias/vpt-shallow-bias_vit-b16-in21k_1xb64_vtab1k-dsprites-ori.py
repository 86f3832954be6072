# VPT-shallow + Bias on VTAB-1k Structured dSprites/orientation:
# p = 100, batch 64 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_dsprites_ori_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=100))),
    head=dict(num_classes=16))
train_dataloader = dict(batch_size=64)
