# The demo's tiny ViT (./vit-tiny-p7.py) as a frozen PromptedViT, with the
# weights that configs/demo/vit-tiny-p7_1xb128-600it_fashion-mnist.py
# pretrains and tools/model_converters/publish_model.py publishes.
_base_ = './vit-tiny-p7.py'
model = dict(
    backbone=dict(
        type='PromptedViT',
        prompt_cfg=dict(num_tokens=0),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/demo/vit-tiny-p7_fashion-mnist.pth',
            prefix='backbone.')),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
