# VPT-deep on CUB-200-2011, ViT-B/16 ImageNet-21k: the paper's exemplar.
# p = 10 (Tab. 14), prompt dropout 0.1, batch 128 for p < 100 (Tab. 8).
# Every task config of the zoo looks like this one: a method base, a
# dataset base, then the task's prompt length and class count. Change a few
# lines, e.g. model = dict(backbone=dict(prompt_cfg=dict(num_tokens=50))).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_cub_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.1)),
    head=dict(num_classes=200))
