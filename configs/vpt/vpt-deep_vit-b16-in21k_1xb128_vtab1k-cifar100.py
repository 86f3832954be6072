# VPT-deep on VTAB-1k Natural CIFAR-100: p = 10 (Tab. 13), batch 128 (Tab. 8:
# p < 100).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10)),
    head=dict(num_classes=100))
