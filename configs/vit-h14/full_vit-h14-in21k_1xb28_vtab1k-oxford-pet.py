# Full fine-tuning on vtab1k-oxford-pet, ViT-H/14 IN-21k (Fig. 4): no
# prompts, batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/full_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_oxford_pet_bs128.py',
]
model = dict(head=dict(num_classes=37))
train_dataloader = dict(batch_size=28)
