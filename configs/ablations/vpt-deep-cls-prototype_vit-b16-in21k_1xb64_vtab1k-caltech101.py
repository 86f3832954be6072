# Fig. 13 CLS: every layer's prompts start at the 102 class means of the final
# CLS embedding (p = classes, at most 200); write them first with
#   python tools/analysis/cls_prototypes.py THIS_CONFIG \
#       --out work_dirs/prototypes/vtab1k-caltech101.npy
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-caltech101.py',
]
model = dict(
    backbone=dict(
        prompt_cfg=dict(
            num_tokens=102,
            init='cls-prototype',
            init_file='work_dirs/prototypes/vtab1k-caltech101.npy')))
train_dataloader = dict(batch_size=64)  # Tab. 8: p >= 100
