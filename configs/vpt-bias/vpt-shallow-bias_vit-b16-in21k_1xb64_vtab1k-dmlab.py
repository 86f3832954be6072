# VPT-shallow + Bias on VTAB-1k Structured DMLab:
# p = 100, batch 64 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_dmlab_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=100))),
    head=dict(num_classes=6))
train_dataloader = dict(batch_size=64)
