# Segmenter's mask transformer on ADE20K, ViT-B/16 (ImageNet-21k) fully fine-
# tuned. mmseg's own recipe (segmenter_vit-b_mask: 512x512 crops, 160k
# iterations of 1 image on each of 8 GPUs, SGD lr 0.001, poly decay, a 2-layer
# mask transformer on the last layer's tokens, sliding-window testing) with the
# backbone in mmpretrain's layout, so that the weights of
# tools/model_converters/convert_pretrained.py load as they are.
_base_ = ['mmseg::segmenter/segmenter_vit-b_mask_8xb1-160k_ade20k-512x512.py']
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

# mmseg's VisionTransformer of that config, as mmpretrain's: 512x512
# position grid (bicubic), CLS token through the encoder, the final norm,
# the last layer's output as a (B, 768, H/16, W/16) map of image tokens.
model = dict(pretrained=None,
             backbone=dict(_delete_=True,
                           type='mmpretrain.VisionTransformer',
                           arch='b',
                           img_size=(512, 512),
                           patch_size=16,
                           out_type='featmap',
                           out_indices=(11, ),
                           with_cls_token=True,
                           final_norm=True,
                           interpolate_mode='bicubic',
                           drop_rate=0.,
                           drop_path_rate=0.1,
                           init_cfg=dict(
                               type='Pretrained',
                               checkpoint='checkpoints/vit-b16_in21k.pth',
                               prefix='backbone.')))
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
