# VPT-shallow on vtab1k-oxford-pet, ViT-B/16 MAE (Tab. 4): p = 50 (the IN-21k
# zoo's, Tabs. 13/14), batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mae.py',
    '../_base_/datasets/vtab1k_oxford_pet_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=37))
