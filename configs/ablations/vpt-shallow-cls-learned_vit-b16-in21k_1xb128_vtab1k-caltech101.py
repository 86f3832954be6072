# Fig. 11 [CLS]-Learned: no prompts; the CLS token and the head train.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb128_vtab1k-caltech101.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=0, train_cls_token=True)))
