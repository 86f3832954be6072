# VPT-shallow on vtab1k-caltech101, ViT-H/14 IN-21k (Fig. 4): p = 5 (ViT-B's,
# Tab. 13), batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_caltech101_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=5)),
    head=dict(num_classes=102))
train_dataloader = dict(batch_size=28)
