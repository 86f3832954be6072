# Sidetune on ViT-B/16 (ImageNet-21k) with the paper's SGD schedule (Tab. 6);
# each checkpoint's delta (the trained tensors only) is saved next to it.
# A task config adds its dataset base and sets the class count and batch.
_base_ = [
    '../models/sidetune_vit-b16.py',
    '../schedules/vpt_sgd-100e.py',
    '../default_runtime.py',
]
custom_hooks = [dict(type='DeltaCheckpointHook')]
