# Fig. 12 Shared-intra: one vector per layer repeated p times.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb64_vtab1k-eurosat.py',
]
model = dict(backbone=dict(prompt_cfg=dict(sharing='intra')))
