# VPT-deep on a frozen ViT-B/16 (ImageNet-21k), the paper's SGD schedule.
# A task config adds its dataset base and sets prompt length, class count
# and (for p >= 100) batch 64:
#   _base_ = ['../_base_/methods/vpt-deep_vit-b16-in21k.py',
#             '../_base_/datasets/vtab1k_cifar100_bs128.py']
#   model = dict(backbone=dict(prompt_cfg=dict(num_tokens=10)),
#                head=dict(num_classes=100))
_base_ = [
    '../models/vpt-deep_vit-b16.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
model = dict(backbone=dict(prompt_cfg=dict(deep=True, dropout=0.1)))
