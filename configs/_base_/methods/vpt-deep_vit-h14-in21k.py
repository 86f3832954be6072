# VPT-deep on ViT-H/14 (ImageNet-21k), Fig. 4: 50 epochs (Tab. 6).
# A task config adds its dataset base and sets the prompt length, class
# count and Tab. 8's batch for ViT-H/14.
_base_ = [
    '../models/vpt-deep_vit-b16.py',
    '../schedules/vpt_sgd-50e.py',
    '../default_runtime.py',
]
model = dict(
    backbone=dict(
        arch='h',
        patch_size=14,
        prompt_cfg=dict(deep=True, dropout=0.1),
        init_cfg=dict(checkpoint='checkpoints/vit-h14_in21k.pth')),
    head=dict(in_channels=1280))
