# Linear on VTAB-1k Structured SmallNORB/azimuth, ViT-H/14 (ImageNet-21k):
# batch 1024 (Tab. 8).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/linear_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_azi_bs128.py',
]
model = dict(head=dict(num_classes=18))
train_dataloader = dict(batch_size=1024)
