# Fig. 12 Shared-intra (shallow): one vector repeated p times.
# VTAB-1k CIFAR-100; for another task swap the dataset base and set
# num_classes (and p: Tab. 13).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100, sharing='intra')),
    head=dict(num_classes=100))
train_dataloader = dict(batch_size=64)  # Tab. 8: p >= 100
