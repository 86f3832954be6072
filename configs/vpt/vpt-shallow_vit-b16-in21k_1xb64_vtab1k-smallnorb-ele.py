# VPT-shallow on VTAB-1k Structured SmallNORB/elevation, ViT-B/16
# (ImageNet-21k): p = 200 (Tab. 13), batch 64 (Tab. 8: p >= 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_ele_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=9))
train_dataloader = dict(batch_size=64)
