# VPT-shallow on vtab1k-smallnorb-azi, ViT-H/14 IN-21k (Fig. 4): p = 200
# (ViT-B's, Tab. 13), batch 14 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_azi_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=18))
train_dataloader = dict(batch_size=14)
