# Partial-1 on VTAB-1k Natural Pets, ViT-B/16 (MoCo v3): batch 1280 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/partial-1_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_oxford_pet_bs128.py',
]
model = dict(head=dict(num_classes=37))
train_dataloader = dict(batch_size=1280)
