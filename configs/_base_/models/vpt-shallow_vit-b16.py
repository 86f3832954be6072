# ViT-B/16 (ImageNet-21k) with shallow visual prompts (layer 0 only) and a
# linear head. The backbone is frozen inside PromptedViT; only prompts and
# head train. No prompt dropout (the paper uses 0.1 for VPT-deep only).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PromptedViT',
        arch='b',
        img_size=224,
        patch_size=16,
        prompt_cfg=dict(num_tokens=50, deep=False, dropout=0.),
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
