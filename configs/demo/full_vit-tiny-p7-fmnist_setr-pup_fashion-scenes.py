# The segmentation demo, Full: mmpretrain's VisionTransformer (the same
# tiny ViT and weights), every weight trains; SGD as the others with
# mmseg's SETR recipe for full fine-tuning: the heads at 10x the base lr.
_base_ = ['./head-only_vit-tiny-p7-fmnist_setr-pup_fashion-scenes.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=128, num_layers=6, num_heads=4,
            feedforward_channels=512),
        img_size={{_base_.crop_size}},
        patch_size=7,
        in_channels=1,
        out_type='featmap',
        out_indices=(5, ),
        final_norm=True,
        interpolate_mode='bilinear',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/demo/vit-tiny-p7_fashion-mnist.pth',
            prefix='backbone.')))
optim_wrapper = dict(
    optimizer=dict(lr=0.05),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}))
sweep_grid = dict(base_lr=[0.05, 0.01], weight_decay=[0.0])
