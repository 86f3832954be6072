# UperNet on ADE20K, Swin-B (ImageNet-21k, patch 4, window 7) fully fine-tuned.
# mmseg's own recipe (swin/swin-base-patch4-window7-in22k-pre_ upernet: 512x512
# crops, 160k iterations of 2 images on each of 8 GPUs, AdamW lr 6e-5 with
# warm-up and poly decay, UPerHead on the four stages, an FCN auxiliary head)
# with the backbone in mmpretrain's layout: the weights of
# tools/model_converters/convert_pretrained.py load as they are. Maps that
# windows do not tile are padded, as mmseg's Swin does.
_base_ = [
    'mmseg::swin/'
    'swin-base-patch4-window7-in22k-pre_upernet_8xb2-160k_ade20k-512x512.py'
]
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

model = dict(pretrained=None,
             backbone=dict(_delete_=True,
                           type='mmpretrain.SwinTransformer',
                           arch='base',
                           img_size=224,
                           window_size=7,
                           out_indices=(0, 1, 2, 3),
                           drop_path_rate=0.3,
                           pad_small_map=True,
                           init_cfg=dict(
                               type='Pretrained',
                               checkpoint='checkpoints/swin-b_in22k.pth',
                               prefix='backbone.')))
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
