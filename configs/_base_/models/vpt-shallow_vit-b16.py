# ViT-B/16 (ImageNet-21k) with shallow visual prompts (layer 0 only) and a
# linear head. The backbone is frozen inside PromptedViT; only prompts and
# head train. No prompt dropout (the paper uses 0.1 for VPT-deep only).
_base_ = './linear_vit-b16.py'
model = dict(
    backbone=dict(
        prompt_cfg=dict(num_tokens=50, deep=False, dropout=0.)))
