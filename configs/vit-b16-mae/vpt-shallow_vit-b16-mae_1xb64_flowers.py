# VPT-shallow on flowers, ViT-B/16 MAE (Tab. 4): p = 100 (the IN-21k zoo's,
# Tabs. 13/14), batch 64 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mae.py',
    '../_base_/datasets/fgvc_flowers_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=102))
train_dataloader = dict(batch_size=64)
