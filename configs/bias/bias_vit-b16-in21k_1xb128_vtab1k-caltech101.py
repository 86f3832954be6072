# Bias on VTAB-1k Natural Caltech101: batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/bias_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_caltech101_bs128.py',
]
model = dict(head=dict(num_classes=102))
