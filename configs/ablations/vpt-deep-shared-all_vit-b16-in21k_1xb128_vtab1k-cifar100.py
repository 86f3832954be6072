# Fig. 12 Shared-all: one vector for every prompt of every layer.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-cifar100.py',
]
model = dict(backbone=dict(prompt_cfg=dict(sharing='all')))
