# SETR-PUP (mmseg's setr_pup.py as its ADE20K 512x512 config sets it) on a
# ViT-L/16 in mmpretrain's layout: the weights of
# tools/model_converters/convert_pretrained.py load as they are. Every
# weight trains here (the paper's Full row, on mmpretrain's own
# VisionTransformer); the method configs change the backbone type.
# The backbone options reproduce mmseg's VisionTransformer of that config:
# 512x512 position grid (the checkpoint's grid is resized bilinearly when
# loading, and again for other input sizes), CLS token through the
# encoder, no final norm, outputs of layers 9/14/19/23 as (B, 1024, H/16,
# W/16) maps of image tokens only.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))


def setr_up_head(in_index, num_convs, up_scale, loss_weight):
    """One SETR up-sampling head on backbone output ``in_index``."""
    return dict(
        type='SETRUPHead',
        in_channels=1024,
        channels=256,
        in_index=in_index,
        num_classes=150,
        dropout_ratio=0,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        num_convs=num_convs,
        up_scale=up_scale,
        kernel_size=3,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False,
            loss_weight=loss_weight))


model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch='large',
        img_size=(512, 512),
        patch_size=16,
        out_type='featmap',
        out_indices=(9, 14, 19, 23),
        with_cls_token=True,
        final_norm=False,
        interpolate_mode='bilinear',
        drop_rate=0.,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vit-l16_in21k.pth',
            prefix='backbone.')),
    # progressive up-sampling: 4 x (conv, 2x up) on the last output
    decode_head=setr_up_head(3, num_convs=4, up_scale=2, loss_weight=1.0),
    # auxiliary heads on the earlier outputs, 2 x (conv, 4x up)
    auxiliary_head=[
        setr_up_head(i, num_convs=2, up_scale=4, loss_weight=0.4)
        for i in range(3)
    ],
    train_cfg=dict(),
    # single-scale testing: 512x512 sliding windows
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
