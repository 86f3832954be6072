# Full fine-tuning on vtab1k-resisc45, ViT-L/16 IN-21k (Fig. 4): no prompts,
# batch 64 (Tab. 8).
_base_ = [
    '../_base_/methods/full_vit-l16-in21k.py',
    '../_base_/datasets/vtab1k_resisc45_bs128.py',
]
model = dict(head=dict(num_classes=45))
train_dataloader = dict(batch_size=64)
