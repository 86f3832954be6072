# Fig. 7 prompt depth 3->12: prompts in layers 3 to 12 (1-based); layers after
# the last prompted one carry its prompt outputs on.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb64_vtab1k-smallnorb-azi.py',
]
model = dict(backbone=dict(prompt_cfg=dict(layers='3->12')))
