# UperNet + MultiLevelNeck on ADE20K, ViT-B/16 (ImageNet-21k) fully fine-tuned.
# mmseg's own recipe (vit_vit-b16_mln_upernet: 512x512 crops, 160k iterations
# of 2 images on each of 8 GPUs, AdamW lr 6e-5 with warm-up and poly decay,
# UPerHead on layers 3/6/9/12 through the neck, an FCN auxiliary head) with the
# backbone in mmpretrain's layout, so that the weights of
# tools/model_converters/convert_pretrained.py load as they are. The method
# configs of this folder change the backbone and what trains.
_base_ = ['mmseg::vit/vit_vit-b16_mln_upernet_8xb2-160k_ade20k-512x512.py']
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

# mmseg's VisionTransformer of that config, as mmpretrain's: 512x512
# position grid (bicubic resizing), CLS token through the encoder, no final
# norm, outputs of layers 2/5/8/11 (0-based) as (B, 768, H/16, W/16) maps
# of image tokens only.
model = dict(pretrained=None,
             backbone=dict(_delete_=True,
                           type='mmpretrain.VisionTransformer',
                           arch='b',
                           img_size=(512, 512),
                           patch_size=16,
                           out_type='featmap',
                           out_indices=(2, 5, 8, 11),
                           with_cls_token=True,
                           final_norm=False,
                           interpolate_mode='bicubic',
                           drop_rate=0.,
                           drop_path_rate=0.,
                           init_cfg=dict(
                               type='Pretrained',
                               checkpoint='checkpoints/vit-b16_in21k.pth',
                               prefix='backbone.')))
# diff_rank_seed: each GPU draws its own prompt-dropout masks
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
