# Figs. 11, 13 Random-fixed (shallow): random prompts, frozen.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb128_vtab1k-eurosat.py',
]
model = dict(backbone=dict(prompt_cfg=dict(trainable=False)))
