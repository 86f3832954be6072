# Fig. 8 final output image-pool: the head reads the mean of the final
# patch tokens instead of CLS.
# VTAB-1k CIFAR-100; for another task swap the dataset base and set
# num_classes (and p: Tab. 13).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(
    backbone=dict(out_type='image_pool', prompt_cfg=dict(num_tokens=10)),
    head=dict(num_classes=100))
