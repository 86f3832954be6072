# Partial-1 on vtab1k-sun397, ViT-B/16 MAE (Tab. 4): batch 1280 (Tab. 8).
_base_ = [
    '../_base_/methods/partial-1_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_sun397_bs128.py',
]
model = dict(head=dict(num_classes=397))
train_dataloader = dict(batch_size=1280)
