# Linear on VTAB-1k Natural Pets, ViT-H/14 (ImageNet-21k): batch 1024 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/linear_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_oxford_pet_bs128.py',
]
model = dict(head=dict(num_classes=37))
train_dataloader = dict(batch_size=1024)
