# VPT-deep on vtab1k-eurosat, ViT-L/16 IN-21k (Fig. 4): p = 100 (ViT-B's,
# Tab. 13), batch 32 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-deep_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_eurosat_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=10))
train_dataloader = dict(batch_size=32)
