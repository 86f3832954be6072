# ResNet-50 (ImageNet-1k) with pixel prompts (a learnt border of p pixels:
# the 224 px input becomes 224 + 2p) and a linear head on the pooled last
# stage. The backbone is frozen inside PromptedResNet, BatchNorm included
# (eval mode, statistics unchanged).
# checkpoints/resnet50_in1k.pth: tools/model_converters/
# convert_pretrained.py on torchvision's ResNet-50 weights.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PromptedResNet',
        depth=50,
        img_size=224,
        prompt_cfg=dict(num_tokens=5),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50_in1k.pth',
            prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
