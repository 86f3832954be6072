# VPT-deep on FGVC CUB-200-2011, ViT-B/16 (MoCo v3): p = 10 (the IN-21k zoo's,
# Tab. 14), batch 128 (Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-mocov3.py',
    '../_base_/datasets/fgvc_cub_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10)),
    head=dict(num_classes=200))
