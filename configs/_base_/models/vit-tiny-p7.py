# The demo's tiny ViT (28 px, patch 7, width 128, depth 6, one channel):
# pretrained by configs/demo/vit-tiny-p7_1xb128-600it_fashion-mnist.py,
# prompted by ./vpt_vit-tiny-p7.py.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=128, num_layers=6, num_heads=4,
            feedforward_channels=512),
        img_size=28,
        patch_size=7,
        in_channels=1,
        out_type='cls_token'),
    neck=None)
