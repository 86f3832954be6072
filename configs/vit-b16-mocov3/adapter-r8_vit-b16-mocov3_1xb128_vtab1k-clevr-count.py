# Adapter (r = 8) on vtab1k-clevr-count, ViT-B/16 MoCo v3 (Tab. 4): batch 128
# (Tab. 8).
_base_ = [
    '../_base_/methods/adapter-r8_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_clevr_count_bs128.py',
]
model = dict(head=dict(num_classes=8))
