# VPT (pixel prompts) on VTAB-1k Natural Caltech101, ResNet-50 (ImageNet-1k):
# batch 256 (Tab. 8). p = 5; tools/sweep.py searches {1, 3, 5, 7, 9, 11} (A.1).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt_resnet50-in1k.py',
    '../_base_/datasets/vtab1k_caltech101_bs128.py',
]
model = dict(head=dict(num_classes=102))
train_dataloader = dict(batch_size=256)
