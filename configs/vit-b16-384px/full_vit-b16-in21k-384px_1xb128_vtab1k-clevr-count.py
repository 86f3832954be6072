# Full fine-tuning on vtab1k-clevr-count at 384 x 384 (Tab. 11): no prompts,
# batch 128.
_base_ = [
    '../_base_/methods/full_vit-b16-in21k-384px.py',
    '../_base_/datasets/vtab1k_clevr_count_384px_bs128.py',
]
model = dict(head=dict(num_classes=8))
