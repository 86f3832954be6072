# Full fine-tuning on vtab1k-clevr-dist, ViT-H/14 IN-21k (Fig. 4): no
# prompts, batch 28 (Tab. 8).
_base_ = [
    '../_base_/methods/full_vit-h14-in21k.py',
    '../_base_/datasets/vtab1k_clevr_dist_bs128.py',
]
model = dict(head=dict(num_classes=6))
train_dataloader = dict(batch_size=28)
