# The Linear probe on vtab1k-clevr-count, ViT-L/16 IN-21k (Fig. 4): no
# prompts, batch 2048 (Tab. 8).
_base_ = [
    '../_base_/methods/linear_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_clevr_count_bs128.py',
]
model = dict(head=dict(num_classes=8))
train_dataloader = dict(batch_size=2048)
