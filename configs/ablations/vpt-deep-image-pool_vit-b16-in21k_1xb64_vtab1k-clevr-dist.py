# Fig. 8 final output image-pool: the head reads the mean of the final patch
# tokens instead of CLS.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb64_vtab1k-clevr-dist.py',
]
model = dict(backbone=dict(out_type='image_pool'))
