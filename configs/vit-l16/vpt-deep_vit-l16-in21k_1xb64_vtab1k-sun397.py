# VPT-deep on vtab1k-sun397, ViT-L/16 IN-21k (Fig. 4): p = 5 (ViT-B's, Tab.
# 13), batch 64 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_sun397_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=5)),
    head=dict(num_classes=397))
train_dataloader = dict(batch_size=64)
