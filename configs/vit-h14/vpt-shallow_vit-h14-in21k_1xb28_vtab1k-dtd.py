# VPT-shallow on vtab1k-dtd, ViT-H/14 IN-21k (Fig. 4): p = 1 (ViT-B's, Tab.
# 13), batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_dtd_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1)),
    head=dict(num_classes=47))
train_dataloader = dict(batch_size=28)
