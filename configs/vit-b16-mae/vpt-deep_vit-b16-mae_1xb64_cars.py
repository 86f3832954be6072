# VPT-deep on cars, ViT-B/16 MAE (Tab. 4): p = 200 (the IN-21k zoo's, Tabs.
# 13/14), batch 64 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-mae.py',
    '../_base_/datasets/fgvc_cars_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=196))
train_dataloader = dict(batch_size=64)
