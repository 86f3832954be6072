# VPT-shallow: 8 prompt tokens before the first layer; backbone frozen.
_base_ = './linear_vit-tiny-p7-fmnist_1xb64_digits1k.py'
model = dict(backbone=dict(prompt_cfg=dict(num_tokens=8, deep=False)))
