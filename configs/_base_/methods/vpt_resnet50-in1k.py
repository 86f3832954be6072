# VPT (pixel prompts) on a frozen ResNet-50 (ImageNet-1k), the paper's SGD
# schedule (Tab. 6). A task config adds its dataset base and sets the class
# count and Tab. 8's batch 256.
_base_ = [
    '../models/vpt_resnet50.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
# A.1: p is searched in {1, 3, 5, 7, 9, 11} for ConvNets (no per-task
# values are published; 5 is what a plain train.py run uses):
# tools/sweep.py tunes it as a third axis of the schedule's lr x wd grid.
sweep_grid = dict(num_tokens=[1, 3, 5, 7, 9, 11])
