# Fig. 8 final output prompt-pool: the head reads the mean of the final prompt
# tokens instead of CLS.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-diabetic-retinopathy.py',
]
model = dict(backbone=dict(out_type='prompt_pool'))
