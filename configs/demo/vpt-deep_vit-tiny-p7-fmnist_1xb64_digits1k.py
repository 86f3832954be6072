# VPT-deep: 8 prompt tokens in every layer, prompt dropout 0.1.
_base_ = './linear_vit-tiny-p7-fmnist_1xb64_digits1k.py'
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=8, deep=True, dropout=0.1)))
