# VPT-shallow on VTAB-1k Natural Flowers102: p = 200 (Tab. 13), batch 64
# (Tab. 8: p >= 100).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_oxford_flowers102_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=102))
train_dataloader = dict(batch_size=64)
