# VPT-shallow + Bias on VTAB-1k Natural DTD, ViT-B/16 (ImageNet-21k): p = 1
# (Tab. 13), batch 128 (as VPT, Tab. 8: p < 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow-bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_dtd_bs128.py',
]
model = dict(
    backbone=dict(module=dict(prompt_cfg=dict(num_tokens=1))),
    head=dict(num_classes=47))
