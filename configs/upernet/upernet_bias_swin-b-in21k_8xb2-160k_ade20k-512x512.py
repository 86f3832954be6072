# UperNet on ADE20K with Bias tuning of a frozen Swin-B (ImageNet-21k): the
# heads and every bias term of the backbone train. BiasTuning wraps
# the Head-only backbone; its checkpoint keys are the backbone's own.
_base_ = ['./upernet_head-only_swin-b-in21k_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(
    _delete_=True, type='BiasTuning', module={{_base_.model.backbone}}))
