# VPT-shallow on vtab1k-smallnorb-ele, ViT-L/16 IN-21k (Fig. 4): p = 200
# (ViT-B's, Tab. 13), batch 32 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_ele_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=9))
train_dataloader = dict(batch_size=32)
