# Segmenter's mask transformer on ADE20K with Bias tuning of a frozen ViT-B/16
# (ImageNet-21k): the mask transformer and every bias term of the backbone
# train. BiasTuning wraps the Head-only backbone; its checkpoint keys are the
# backbone's own.
_base_ = [
    './segmenter_head-only_vit-b16-in21k_mask_8xb1-160k_ade20k-512x512.py'
]
model = dict(backbone=dict(
    _delete_=True, type='BiasTuning', module={{_base_.model.backbone}}))
