# VPT (pixel prompts) on ConvNeXt-B (ImageNet-21k)
# on VTAB-1k Natural CIFAR-100: batch 128 (Tab. 8),
# p = 5; tools/sweep.py searches {1, 3, 5, 7, 9, 11} (A.1).
_base_ = [
    '../_base_/methods/vpt_convnext-b-in21k.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(head=dict(num_classes=100))
