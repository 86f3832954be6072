# Fig. 12 Shared-intra (shallow): one vector repeated p times.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb64_vtab1k-svhn.py',
]
model = dict(backbone=dict(prompt_cfg=dict(sharing='intra')))
