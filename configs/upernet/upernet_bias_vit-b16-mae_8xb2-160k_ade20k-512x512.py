# UperNet on ADE20K with Bias tuning of a frozen ViT-B/16 (MAE): the neck, the
# heads and every bias term of the backbone train. BiasTuning wraps the Head-
# only backbone; its checkpoint keys are the backbone's own.
_base_ = ['./upernet_head-only_vit-b16-mae_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(
    _delete_=True, type='BiasTuning', module={{_base_.model.backbone}}))
