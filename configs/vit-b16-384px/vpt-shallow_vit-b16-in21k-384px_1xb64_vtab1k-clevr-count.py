# VPT-shallow on vtab1k-clevr-count at 384 x 384 (Tab. 11): p = 100 (224 px
# zoo's, Tab. 13), batch 64.
_base_ = [
    '../_base_/methods/vpt-shallow_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_clevr_count_384px_bs128.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=100)),
    head=dict(num_classes=8))
train_dataloader = dict(batch_size=64)
