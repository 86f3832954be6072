# Partial-1 on ViT-B/16 (ImageNet-21k): the last transformer layer, the
# final norm and the linear head train (PartialTuning wraps the host
# VisionTransformer; its checkpoint keys are the host's). Partial-k: set
# num_blocks=k.
_base_ = './vit-b16.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='PartialTuning',
        num_blocks=1,
        module={{_base_.model.backbone}}))
