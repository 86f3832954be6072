# Partial-1 on VTAB-1k Specialized Resisc45, ViT-B/16 (MAE): batch 1280
# (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/partial-1_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_resisc45_bs128.py',
]
model = dict(head=dict(num_classes=45))
train_dataloader = dict(batch_size=1280)
