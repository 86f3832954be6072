# VPT-deep on vtab1k-smallnorb-ele at 384 x 384 (Tab. 11): p = 200 (224 px
# zoo's, Tab. 13), batch 64.
_base_ = [
    '../_base_/methods/vpt-deep_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_smallnorb_ele_384px_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=200)),
    head=dict(num_classes=9))
train_dataloader = dict(batch_size=64)
