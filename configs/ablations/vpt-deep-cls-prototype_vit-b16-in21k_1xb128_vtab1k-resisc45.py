# Fig. 13 CLS: every layer's prompts start at the 45 class means of the final
# CLS embedding (p = classes, at most 200); write them first with
#   python tools/analysis/cls_prototypes.py THIS_CONFIG \
#       --out work_dirs/prototypes/vtab1k-resisc45.npy
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-resisc45.py',
]
model = dict(
    backbone=dict(
        prompt_cfg=dict(
            num_tokens=45,
            init='cls-prototype',
            init_file='work_dirs/prototypes/vtab1k-resisc45.npy')))
