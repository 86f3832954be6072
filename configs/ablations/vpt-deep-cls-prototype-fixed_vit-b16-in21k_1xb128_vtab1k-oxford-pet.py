# Fig. 13 CLS-fixed: CLS-prototype prompts, frozen (see vpt-deep-cls-prototype
# for the prototype file).
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-oxford-pet.py',
]
model = dict(
    backbone=dict(
        prompt_cfg=dict(
            num_tokens=37,
            init='cls-prototype',
            init_file='work_dirs/prototypes/vtab1k-oxford-pet.npy',
            trainable=False)))
