# VPT-shallow on vtab1k-smallnorb-ele, ViT-B/16 MoCo v3 (Tab. 4): p = 200
# (the IN-21k zoo's, Tabs. 13/14), batch 64 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mocov3.py',
    '../_base_/datasets/vtab1k_smallnorb_ele_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=9))
train_dataloader = dict(batch_size=64)
