# Segmenter's mask transformer on ADE20K with VPT-deep (p = 10) on a frozen
# ViT-B/16 (ImageNet-21k): the prompts and the mask transformer train. The
# decoder sees image tokens only (PromptedViT drops the prompts before
# reshaping its last output).
_base_ = [
    './segmenter_head-only_vit-b16-in21k_mask_8xb1-160k_ade20k-512x512.py'
]
model = dict(backbone=dict(
    prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.1)))
