# VPT-shallow on FGVC Stanford Dogs, ViT-B/16 (MAE): p = 100 (the IN-21k zoo's,
# Tab. 14), batch 64 (Tab. 8: p >= 100).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mae.py',
    '../_base_/datasets/fgvc_dogs_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=120))
train_dataloader = dict(batch_size=64)
