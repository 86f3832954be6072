# Figs. 11, 13 Random-fixed / Prompt-Fixed: random prompts, frozen; only the
# head trains on the longer sequence.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-cifar100.py',
]
model = dict(backbone=dict(prompt_cfg=dict(trainable=False)))
