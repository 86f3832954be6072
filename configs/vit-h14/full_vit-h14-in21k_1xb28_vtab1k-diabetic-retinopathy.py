# Full fine-tuning on vtab1k-diabetic-retinopathy, ViT-H/14 IN-21k (Fig. 4):
# no prompts, batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/full_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_diabetic_retinopathy_bs128.py',
]
model = dict(head=dict(num_classes=5))
train_dataloader = dict(batch_size=28)
