# VPT-shallow on vtab1k-smallnorb-azi at 224 px with p = 380 (Tab. 11): 1 +
# 380 + 196 tokens, as many as 384 px.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_azi_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=380)),
    head=dict(num_classes=18))
train_dataloader = dict(batch_size=64)
