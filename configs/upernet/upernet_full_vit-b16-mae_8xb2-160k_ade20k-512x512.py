# UperNet on ADE20K, ViT-B/16 pre-trained with MAE, fully fine-tuned. mmseg's
# own recipe (mae/mae-base_upernet: 512x512 crops, 160k iterations of 2 images
# on each of 8 GPUs, AdamW lr 1e-4 with layer-wise decay 0.65, Feature2Pyramid
# neck on layers 4/6/8/12, UPerHead, an FCN auxiliary head, sliding-window
# testing) with the backbone in mmpretrain's layout: the MAE weights of
# tools/model_converters/convert_pretrained.py load as they are. mmseg's MAE
# backbone has layer scale (init 1.0, the identity at the start); mmpretrain's
# ViT of the MAE checkpoint has none.
_base_ = ['mmseg::mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py']
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

model = dict(pretrained=None,
             backbone=dict(_delete_=True,
                           type='mmpretrain.VisionTransformer',
                           arch='b',
                           img_size=(512, 512),
                           patch_size=16,
                           out_type='featmap',
                           out_indices=(3, 5, 7, 11),
                           with_cls_token=True,
                           final_norm=False,
                           drop_rate=0.,
                           drop_path_rate=0.1,
                           init_cfg=dict(
                               type='Pretrained',
                               checkpoint='checkpoints/vit-b16_mae.pth',
                               prefix='backbone.')))
# mmseg's layer-wise lr decay (0.65) over mmpretrain's ViT layers (mmseg's
# constructor knows its own MAE class only); no decay for 1-d weights,
# pos_embed and cls_token, as in mmseg's
optim_wrapper = dict(constructor='SegmentorLayerDecayOptimWrapperConstructor',
                     paramwise_cfg=dict(_delete_=True,
                                        layer_decay_rate=0.65,
                                        flat_decay_mult=0.,
                                        custom_keys={
                                            'pos_embed': dict(decay_mult=0.),
                                            'cls_token': dict(decay_mult=0.)
                                        }))
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
