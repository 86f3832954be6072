# The segmentation demo, Bias: the decoder and every bias term of the
# frozen backbone train (BiasTuning around the Head-only backbone).
_base_ = ['./head-only_vit-tiny-p7-fmnist_setr-pup_fashion-scenes.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='BiasTuning',
        module={{_base_.model.backbone}}))
