# The Linear probe on vtab1k-svhn, ViT-B/16 MoCo v3 (Tab. 4): no prompts,
# batch 2048 (Tab. 8).
_base_ = [
    '../_base_/methods/linear_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_svhn_bs128.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(batch_size=2048)
