# The Linear probe: a frozen ViT-B/16 (ImageNet-21k), only the linear head
# on the final [CLS] embedding trains. PromptedViT with no prompts is
# exactly mmpretrain's VisionTransformer, frozen.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PromptedViT',
        arch='b',
        img_size=224,
        patch_size=16,
        prompt_cfg=dict(num_tokens=0),
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vit-b16_in21k.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
