# ConvNeXt-B (ImageNet-21k) with pixel prompts (a learnt border of p pixels:
# the 224 px input becomes 224 + 2p) and a linear head on the pooled,
# normalised last stage. The backbone is frozen inside PromptedConvNeXt.
# checkpoints/convnext-b_in22k.pth: tools/model_converters/
# convert_pretrained.py on the official convnext_base_22k_224.pth.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PromptedConvNeXt',
        arch='base',
        img_size=224,
        gap_before_final_norm=True,
        prompt_cfg=dict(num_tokens=5),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/convnext-b_in22k.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
