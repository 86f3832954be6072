# VPT-deep on VTAB-1k Structured Clevr/distance, ViT-B/16 (MAE): p = 200 (the
# IN-21k zoo's, Tab. 13), batch 64 (Tab. 8: p >= 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_clevr_dist_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=6))
train_dataloader = dict(batch_size=64)
