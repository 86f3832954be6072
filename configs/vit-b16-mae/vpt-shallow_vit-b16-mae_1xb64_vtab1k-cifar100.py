# VPT-shallow on vtab1k-cifar100, ViT-B/16 MAE (Tab. 4): p = 100 (the IN-21k
# zoo's, Tabs. 13/14), batch 64 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=100))
train_dataloader = dict(batch_size=64)
