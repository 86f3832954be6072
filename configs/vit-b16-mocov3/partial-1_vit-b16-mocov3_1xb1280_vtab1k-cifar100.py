# Partial-1 on vtab1k-cifar100, ViT-B/16 MoCo v3 (Tab. 4): batch 1280 (Tab. 8).
_base_ = [
    '../_base_/methods/partial-1_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(head=dict(num_classes=100))
train_dataloader = dict(batch_size=1280)
