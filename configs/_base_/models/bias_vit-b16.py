# Bias tuning on ViT-B/16 (ImageNet-21k): every bias of the backbone and
# the linear head train, everything else is frozen (BiasTuning wraps the
# host VisionTransformer; its checkpoint keys are the host's).
_base_ = './vit-b16.py'
model = dict(
    backbone=dict(
        _delete_=True, type='BiasTuning', module={{_base_.model.backbone}}))
