# Bias on cars, ViT-B/16 MAE (Tab. 4): batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/bias_vit-b16-mae.py',
    '../_base_/datasets/fgvc_cars_bs128.py',
]
model = dict(head=dict(num_classes=196))
