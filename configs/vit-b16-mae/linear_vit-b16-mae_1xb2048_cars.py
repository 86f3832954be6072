# The Linear probe on cars, ViT-B/16 MAE (Tab. 4): no prompts, batch 2048
# (Tab. 8).
_base_ = [
    '../_base_/methods/linear_vit-b16-mae.py',
    '../_base_/datasets/fgvc_cars_bs128.py',
]
model = dict(head=dict(num_classes=196))
train_dataloader = dict(batch_size=2048)
