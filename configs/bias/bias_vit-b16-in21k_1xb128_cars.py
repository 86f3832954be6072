# Bias on FGVC Stanford Cars: batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/bias_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_cars_bs128.py',
]
model = dict(head=dict(num_classes=196))
