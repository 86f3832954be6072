# Bias on ViT-B/16 (ImageNet-21k) with the paper's AdamW schedule
# (Tab. 6); each checkpoint's delta (the trained tensors only) is saved
# next to it. A task config adds its dataset base and sets the class count
# and Tab. 8's batch.
_base_ = [
    '../models/bias_vit-b16.py',
    '../schedules/peft_adamw-100e.py',
    '../default_runtime.py',
]
custom_hooks = [dict(type='DeltaCheckpointHook')]
