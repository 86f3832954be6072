# SETR-PUP on ADE20K, ViT-L/16 (ImageNet-21k) fully fine-tuned: the paper's
# Full row (Tab. 3). mmseg's own SETR-PUP ADE20K recipe (512x512 crops,
# 160k iterations of 2 images on each of 8 GPUs, SGD lr 0.001 without weight
# decay, heads at 10x, poly decay, the PUP head and three auxiliary heads on
# layers 9/14/19/23, sliding-window and multi-scale (tta_*) testing), with
# the backbone in mmpretrain's layout: the weights of
# tools/model_converters/convert_pretrained.py --no-final-norm load as they
# are. The method configs change the backbone type.
_base_ = ['mmseg::setr/setr_vit-l_pup_8xb2-160k_ade20k-512x512.py']
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

# mmseg's VisionTransformer of that config, as mmpretrain's: 512x512
# position grid (the checkpoint's grid is resized bilinearly when loading,
# and again for other input sizes), CLS token through the encoder, no final
# norm, outputs of layers 9/14/19/23 as (B, 1024, H/16, W/16) maps of image
# tokens only (1024 = the heads' in_channels in the base).
model = dict(
    backbone=dict(
        _delete_=True,
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
            prefix='backbone.')))
# frozen parameters get no optimizer state ('head' of the base's
# paramwise_cfg matches decode_head.* and auxiliary_head.*)
optim_wrapper = dict(constructor='FrozenBackboneOptimWrapperConstructor')
# diff_rank_seed: each GPU draws its own prompt-dropout masks
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
