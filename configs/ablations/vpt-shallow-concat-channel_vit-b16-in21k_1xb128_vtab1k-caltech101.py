# Fig. 5 Concat-channel: one extra input channel with its own (trained,
# zero-initialised) patch-embedding kernel.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb128_vtab1k-caltech101.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1, location='concat-channel')))
