# UperNet + MultiLevelNeck on ADE20K with VPT-deep (p = 10) on a frozen
# ViT-B/16 (ImageNet-21k): the prompts, the neck and the heads train. The neck
# sees image tokens only (PromptedViT drops the prompts before reshaping its
# outputs of layers 2/5/8/11).
_base_ = ['./upernet_head-only_vit-b16-in21k_mln_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(
    prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.1)))
