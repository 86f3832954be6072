# Fig. 7 prompt depth 1->6: prompts in layers 1 to 6 (1-based); layers
# after the last prompted one carry its prompt outputs on.
# VTAB-1k CIFAR-100; for another task swap the dataset base and set
# num_classes (and p: Tab. 13).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10, layers='1->6')),
    head=dict(num_classes=100))
