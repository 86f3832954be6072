# Swin-B (ImageNet-21k, patch 4, window 7, 224 px) with visual prompts and a
# linear head. The backbone is frozen inside PromptedSwin; only prompts and
# head train. The head sees the average of all final tokens, prompts
# included (out_type='avg_featmap', the official VPT Swin feature).
# checkpoints/swin-b_in22k.pth: tools/model_converters/convert_pretrained.py
# on the official swin_base_patch4_window7_224_22k.pth.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PromptedSwin',
        arch='base',
        img_size=224,
        window_size=7,
        out_type='avg_featmap',
        prompt_cfg=dict(num_tokens=10, deep=False, dropout=0.),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/swin-b_in22k.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
