# VPT-shallow on ViT-H/14 (ImageNet-21k), Fig. 4: 50 epochs (Tab. 6).
# A task config adds its dataset base and sets the prompt length, class
# count and Tab. 8's batch for ViT-H/14.
_base_ = [
    '../models/vpt-shallow_vit-b16.py',
    '../schedules/vpt_sgd-50e.py',
    '../default_runtime.py',
]
model = dict(
    backbone=dict(
        arch='h',
        patch_size=14,
        prompt_cfg=dict(deep=False, dropout=0.),
        init_cfg=dict(checkpoint='checkpoints/vit-h14_in21k.pth')),
    head=dict(in_channels=1280))
# Tab. 6, note: VPT-shallow's search adds {1000, 500, 250, 100}.
sweep_grid = dict(base_lr=[
    1000., 500., 250., 100., 50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05
])
