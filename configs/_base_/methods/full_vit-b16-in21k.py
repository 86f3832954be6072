# Full fine-tuning of ViT-B/16 (ImageNet-21k): every weight trains, AdamW
# (Tab. 6). A task config adds its dataset base and sets the class count;
# Tab. 8's batch 128 is the dataset bases' default.
_base_ = [
    '../models/vit-b16.py',
    '../schedules/full_adamw-100e.py',
    '../default_runtime.py',
]
