# Full fine-tuning on ViT-L/16 (ImageNet-21k), Fig. 4: 50 epochs (Tab. 6).
# A task config adds its dataset base and sets the prompt length, class
# count and Tab. 8's batch for ViT-L/16.
_base_ = [
    '../models/vit-b16.py',
    '../schedules/full_adamw-50e.py',
    '../default_runtime.py',
]
model = dict(
    backbone=dict(
        arch='l',
        patch_size=16,
        init_cfg=dict(checkpoint='checkpoints/vit-l16_in21k.pth')),
    head=dict(in_channels=1024))
