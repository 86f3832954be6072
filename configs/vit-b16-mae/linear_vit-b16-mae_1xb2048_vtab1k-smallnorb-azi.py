# Linear on VTAB-1k Structured SmallNORB/azimuth, ViT-B/16 (MAE): batch 2048
# (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/linear_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_smallnorb_azi_bs128.py',
]
model = dict(head=dict(num_classes=18))
train_dataloader = dict(batch_size=2048)
