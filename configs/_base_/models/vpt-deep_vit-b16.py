# ViT-B/16 (ImageNet-21k) with deep visual prompts and a linear head.
# The backbone is frozen inside PromptedViT; only prompts and head train.
_base_ = './linear_vit-b16.py'
model = dict(
    backbone=dict(
        prompt_cfg=dict(num_tokens=50, deep=True, dropout=0.1)))
