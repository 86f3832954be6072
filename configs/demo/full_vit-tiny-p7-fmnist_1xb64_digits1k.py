# Full fine-tuning: mmpretrain's VisionTransformer, every weight trains,
# AdamW as in the paper's Tab. 6.
_base_ = './linear_vit-tiny-p7-fmnist_1xb64_digits1k.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch=dict(
            embed_dims=128, num_layers=6, num_heads=4,
            feedforward_channels=512),
        img_size=28,
        patch_size=7,
        in_channels=1,
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/demo/vit-tiny-p7_fashion-mnist.pth',
            prefix='backbone.')))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.001, weight_decay=0.01))
sweep_grid = dict(
    base_lr=[0.001, 0.0001, 0.0005, 0.005],
    weight_decay=[0.01, 0.001, 0.0001, 0.0])
