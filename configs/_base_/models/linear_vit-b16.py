# The Linear probe: a frozen ViT-B/16 (ImageNet-21k), only the linear head
# on the final [CLS] embedding trains. PromptedViT with no prompts is
# exactly mmpretrain's VisionTransformer, frozen.
_base_ = './vit-b16.py'
model = dict(backbone=dict(type='PromptedViT', prompt_cfg=dict(num_tokens=0)))
