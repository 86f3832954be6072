# The segmentation demo, VPT-deep: 8 prompt tokens in every layer (dropout
# 0.1) of the frozen backbone; its feature maps hold image tokens only.
_base_ = ['./head-only_vit-tiny-p7-fmnist_setr-pup_fashion-scenes.py']
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=8, deep=True, dropout=0.1)))
