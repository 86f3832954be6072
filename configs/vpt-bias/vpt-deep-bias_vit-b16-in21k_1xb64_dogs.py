# VPT-deep + Bias on FGVC Stanford Dogs: p = 100, batch 64 (as VPT, Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep-bias_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_dogs_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=100))),
    head=dict(num_classes=120))
train_dataloader = dict(batch_size=64)
