# Linear on FGVC CUB-200-2011: batch 2048 (Tab. 8).
_base_ = [
    '../_base_/methods/linear_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_cub_bs128.py',
]
model = dict(head=dict(num_classes=200))
train_dataloader = dict(batch_size=2048)
