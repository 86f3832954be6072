# The Linear probe on vtab1k-diabetic-retinopathy at 384 x 384 (Tab. 11): no
# prompts, batch 2048.
_base_ = [
    '../_base_/methods/linear_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_diabetic_retinopathy_384px_bs128.py',
]
model = dict(head=dict(num_classes=5))
train_dataloader = dict(batch_size=2048)
