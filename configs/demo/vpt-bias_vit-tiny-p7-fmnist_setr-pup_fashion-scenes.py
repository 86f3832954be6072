# The segmentation demo, VPT+Bias: deep prompts and every bias term of the
# frozen backbone train.
_base_ = ['./vpt-deep_vit-tiny-p7-fmnist_setr-pup_fashion-scenes.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='BiasTuning',
        module={{_base_.model.backbone}}))
