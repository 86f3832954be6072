# Fig. 13 CLS: every layer's prompts start at the 100 class means of the
# final CLS embedding (p = classes, at most 200); write them first with
#   python tools/analysis/cls_prototypes.py THIS_CONFIG \
#       --out work_dirs/prototypes/vtab1k-cifar100.npy
# VTAB-1k CIFAR-100; for another task swap the dataset base and set
# num_classes (and p: Tab. 13).
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_cifar100_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100, init='cls-prototype',
                    init_file='work_dirs/prototypes/vtab1k-cifar100.npy')),
    head=dict(num_classes=100))
train_dataloader = dict(batch_size=64)  # Tab. 8: p >= 100
