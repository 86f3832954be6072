# Fig. 12 Shared-inter: one prompt set for all layers.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-resisc45.py',
]
model = dict(backbone=dict(prompt_cfg=dict(sharing='inter')))
