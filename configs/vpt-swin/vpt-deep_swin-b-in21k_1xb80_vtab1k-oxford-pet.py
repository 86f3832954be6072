# VPT-deep on VTAB-1k Natural Pets, Swin-B (ImageNet-21k): batch 80 (Tab. 8).
# p = 10; tools/sweep.py searches {1, 5, 10, 50} (A.1).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-deep_swin-b-in21k.py',
    '../_base_/datasets/vtab1k_oxford_pet_bs128.py',
]
model = dict(head=dict(num_classes=37))
train_dataloader = dict(batch_size=80)
