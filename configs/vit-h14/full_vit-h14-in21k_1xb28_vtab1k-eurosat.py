# Full fine-tuning on vtab1k-eurosat, ViT-H/14 IN-21k (Fig. 4): no prompts,
# batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/full_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_eurosat_bs128.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(batch_size=28)
