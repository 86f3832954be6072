# VPT-shallow on nabirds, ViT-B/16 MoCo v3 (Tab. 4): p = 50 (the IN-21k
# zoo's, Tabs. 13/14), batch 128 (Tab. 8).
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-mocov3.py',
    '../_base_/datasets/fgvc_nabirds_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=50)),
    head=dict(num_classes=555))
