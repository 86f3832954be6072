# The demo's tiny ViT (28 px, patch 7, width 128, depth 6, one channel),
# pretrained by configs/demo/vit-tiny-p7_1xb128-600it_fashion-mnist.py and
# published with tools/model_converters/publish_model.py.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PromptedViT',
        arch=dict(
            embed_dims=128, num_layers=6, num_heads=4,
            feedforward_channels=512),
        img_size=28,
        patch_size=7,
        in_channels=1,
        prompt_cfg=dict(num_tokens=0),
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/demo/vit-tiny-p7_fashion-mnist.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
