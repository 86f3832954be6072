# VPT-shallow on VTAB-1k Structured KITTI/distance, ViT-B/16 (MoCo v3): p = 100
# (the IN-21k zoo's, Tab. 13), batch 64 (Tab. 8: p >= 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_kitti_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=4))
train_dataloader = dict(batch_size=64)
