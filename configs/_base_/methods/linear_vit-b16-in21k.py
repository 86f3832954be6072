# The Linear probe on a frozen ViT-B/16 (ImageNet-21k): head only, the
# paper's SGD schedule. A task config adds its dataset base and sets the
# class count and Tab. 8's batch 2048.
_base_ = [
    '../models/linear_vit-b16.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
