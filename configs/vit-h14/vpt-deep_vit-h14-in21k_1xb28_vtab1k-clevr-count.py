# VPT-deep on vtab1k-clevr-count, ViT-H/14 IN-21k (Fig. 4): p = 50 (ViT-B's,
# Tab. 13), batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_clevr_count_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=8))
train_dataloader = dict(batch_size=28)
