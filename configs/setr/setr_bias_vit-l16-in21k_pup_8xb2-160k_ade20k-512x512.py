# SETR-PUP on ADE20K with Bias tuning of a frozen ViT-L/16 (ImageNet-21k):
# the decoder heads and every bias term of the backbone train (the paper's
# Bias row). BiasTuning wraps the Head-only backbone; its weights and
# checkpoint keys are the backbone's own. The paper's lr 0.005; the heads
# keep mmseg's 10x multiplier (the paper changed it for VPT only).
_base_ = ['./setr_head-only_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='BiasTuning',
        module={{_base_.model.backbone}}))
