# Fig. 5 Prepend-pixel: p prompt patches through the frozen patch embedding,
# prepended after CLS.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb128_vtab1k-patch-camelyon.py',
]
model = dict(backbone=dict(prompt_cfg=dict(location='prepend-pixel')))
