# Adapter (r = 8) on VTAB-1k Natural CIFAR-100, ViT-B/16 (MAE): batch 128
# (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/adapter-r8_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(head=dict(num_classes=100))
