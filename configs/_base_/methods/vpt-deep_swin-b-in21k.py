# VPT-deep on a frozen Swin-B (ImageNet-21k): per-block prompts of each
# stage's width, prompt dropout 0.1 (A.1), the paper's SGD schedule (Tab. 6,
# 100 epochs). A task config adds its dataset base and sets the class count
# and Tab. 8's batch 80 (see vpt-shallow_swin-b-in21k.py).
_base_ = [
    '../models/vpt_swin-b.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.1)))
# A.1: p is searched in {1, 5, 10, 50} for Swin (no per-task values are
# published; 10 is what a plain train.py run uses): tools/sweep.py tunes
# it as a third axis of the schedule's lr x wd grid.
sweep_grid = dict(num_tokens=[1, 5, 10, 50])
