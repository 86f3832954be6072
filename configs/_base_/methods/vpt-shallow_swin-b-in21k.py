# VPT-shallow on a frozen Swin-B (ImageNet-21k), the paper's SGD schedule
# (Tab. 6, 100 epochs). A task config adds its dataset base and sets the
# class count and Tab. 8's batch 80:
#   _base_ = ['../_base_/methods/vpt-shallow_swin-b-in21k.py',
#             '../_base_/datasets/vtab1k_dtd_bs128.py']
#   model = dict(head=dict(num_classes=47))
#   train_dataloader = dict(batch_size=80)
_base_ = [
    '../models/vpt_swin-b.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10, deep=False, dropout=0.)))
# Tab. 6, note: VPT-shallow sometimes benefits from a larger base lr.
# A.1: p is searched in {1, 5, 10, 50} for Swin (no per-task values are
# published; 10 is what a plain train.py run uses): tools/sweep.py tunes
# it as a third axis of the grid (model.backbone.prompt_cfg.num_tokens).
sweep_grid = dict(
    base_lr=[
        1000., 500., 250., 100., 50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1,
        0.05
    ],
    num_tokens=[1, 5, 10, 50])
