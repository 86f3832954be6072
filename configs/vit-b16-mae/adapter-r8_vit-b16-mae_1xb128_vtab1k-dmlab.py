# Adapter (r = 8) on vtab1k-dmlab, ViT-B/16 MAE (Tab. 4): batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/adapter-r8_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_dmlab_bs128.py',
]
model = dict(head=dict(num_classes=6))
