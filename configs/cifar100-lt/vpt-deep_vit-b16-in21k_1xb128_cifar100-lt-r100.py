# VPT-deep on CIFAR-100-LT, imbalance ratio 100 (n_max / n_min = 500 / 5),
# ViT-B/16 ImageNet-21k: p = 10 (VTAB CIFAR-100's, Tab. 13), prompt dropout
# 0.1, batch 128, the paper's SGD schedule. Logs error/top1.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/cifar100-lt_bs128.py',
]
task_name = 'cifar100_lt_r100'
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10)), head=dict(num_classes=100))
train_dataloader = dict(dataset=dict(imbalance_ratio=100))
