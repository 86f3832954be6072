# SETR-PUP on ADE20K with Bias tuning of a frozen ViT-L/16 (ImageNet-21k):
# the decoder heads and every bias term of the backbone train (the paper's
# Bias row). BiasTuning wraps the Head-only backbone; its weights and
# checkpoint keys are the backbone's own. The paper's lr 0.005; the heads
# keep mmseg's 10x multiplier (the paper changed it for VPT only).
_base_ = ['./head_only_vitl_ade20k.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='BiasTuning',
        module={{_base_.model.backbone}}))
