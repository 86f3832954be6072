# VPT-shallow on a frozen ViT-B/16 (ImageNet-21k), the paper's SGD schedule.
# A task config adds its dataset base and sets prompt length, class count
# and (for p >= 100) batch 64, as for VPT-deep.
_base_ = [
    '../models/vpt-shallow_vit-b16.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
model = dict(backbone=dict(prompt_cfg=dict(deep=False, dropout=0.)))
# Tab. 6, note: VPT-shallow sometimes (6 of 24 tasks) benefits from a larger
# base lr, so its search adds {1000, 500, 250, 100} to the SGD grid.
sweep_grid = dict(base_lr=[
    1000., 500., 250., 100., 50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05
])
