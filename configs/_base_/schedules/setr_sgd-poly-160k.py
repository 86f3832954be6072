# SETR's ADE20K schedule in mmseg: SGD (momentum 0.9, no weight decay),
# lr 0.001 with the heads at 10x, poly decay to 1e-4 over 160k iterations,
# validation and checkpoints every 16k. The parameter-efficient configs
# set lr 0.005 (the paper's best for Head-only, Bias and VPT).
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='FrozenBackboneOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0),
    clip_grad=None,
    # 'head' matches decode_head.* and auxiliary_head.*
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=160000,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=160000, val_interval=16000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
