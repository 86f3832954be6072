# VPT-deep + Bias on ViT-B/16 (ImageNet-21k) (Tab. 9): VPT-deep's
# settings (prompt dropout, SGD schedule and grid) with the backbone's
# biases trained as well; each checkpoint's delta is saved next to it.
# A task config sets prompt length, class count and batch as for VPT:
#   model = dict(backbone=dict(module=dict(prompt_cfg=dict(num_tokens=10))),
#                head=dict(num_classes=100))
_base_ = ['./vpt-deep_vit-b16-in21k.py']
model = dict(
    backbone=dict(
        _delete_=True, type='BiasTuning', module={{_base_.model.backbone}}))
custom_hooks = [dict(type='DeltaCheckpointHook')]
