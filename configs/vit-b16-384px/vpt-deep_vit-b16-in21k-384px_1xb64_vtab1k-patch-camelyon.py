# VPT-deep on vtab1k-patch-camelyon at 384 x 384 (Tab. 11): p = 100 (224 px
# zoo's, Tab. 13), batch 64.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_patch_camelyon_384px_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=2))
train_dataloader = dict(batch_size=64)
