# Mlp-3 on VTAB-1k Natural Caltech101:
# batch 2048 (as Linear's; Tab. 8 gives none).
_base_ = [
    '../_base_/methods/mlp-3_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_caltech101_bs128.py',
]
model = dict(head=dict(num_classes=102))
train_dataloader = dict(batch_size=2048)
