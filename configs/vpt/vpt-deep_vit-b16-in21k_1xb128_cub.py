# VPT-deep on CUB-200-2011, ViT-B/16 ImageNet-21k: the paper's exemplar.
# p = 10 (Tab. 14), prompt dropout 0.1, batch 128 for p < 100 (Tab. 8).
# Later configs inherit this file and change a few lines, e.g.
#   _base_ = './vpt-deep_vit-b16-in21k_1xb128_cub.py'
#   model = dict(backbone=dict(prompt_cfg=dict(num_tokens=50)))
_base_ = [
    '../_base_/models/vpt-deep_vit-b16.py',
    '../_base_/datasets/fgvc_cub_bs128.py',
    '../_base_/schedules/vpt_sgd-100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.1)),
    head=dict(num_classes=200))
