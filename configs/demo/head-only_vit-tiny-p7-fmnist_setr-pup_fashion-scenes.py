# The segmentation demo, Head-only: mmseg's SETR-PUP (its model base) on
# the demo's Fashion-MNIST-pretrained tiny ViT (../_base_/models/
# vit-tiny-p7.py, as a frozen PromptedViT without prompts), transferred to
# fashion-scenes (56 x 56 canvases, 2 to 4 Fashion-MNIST test items in the
# cells of a 2 x 2 grid, 11 classes;
# tools/misc/prepare_seg_demo_data.py). The other methods change the
# backbone only. tools/sweep.py chooses the lr on validation (--metric
# mIoU), then re-runs it with seeds on training+validation -> test.
_base_ = [
    'mmseg::_base_/models/setr_pup.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

# the sweep's protocol (splits are folder names of the ADE20K layout)
protocol = dict(
    tune=dict(train='training', val='validation'),
    final=dict(train='training+validation', test='test'))
task_name = 'fashion-scenes'
benchmark = 'demo-seg'
sweep_grid = dict(base_lr=[1.0, 0.25], weight_decay=[0.0])

crop_size = (56, 56)
data_root = 'data/demo/fashion-scenes'
# Fashion-MNIST pixel mean / std, one grey channel
data_preprocessor = dict(
    mean=[72.94], std=[90.02], bgr_to_rgb=False, size=crop_size)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='PromptedViT',
        arch=dict(
            embed_dims=128, num_layers=6, num_heads=4,
            feedforward_channels=512),
        img_size=crop_size,  # the 4 x 4 grid of 28 px is resized to 8 x 8
        patch_size=7,
        in_channels=1,
        out_type='featmap',
        out_indices=(5, ),
        final_norm=True,
        interpolate_mode='bilinear',
        prompt_cfg=dict(num_tokens=0),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/demo/vit-tiny-p7_fashion-mnist.pth',
            prefix='backbone.')),
    # PUP: 8 x 8 tokens, two 2x conv-upsamplings, resized to the labels
    decode_head=dict(
        in_channels=128,
        channels=32,
        in_index=0,
        num_classes=11,
        num_convs=2,
        norm_cfg=norm_cfg),
    auxiliary_head=None)

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
_dataset = dict(type='FashionScenesDataset', data_root=data_root)
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**_dataset, split='training', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, split='validation', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# SGD with poly decay as mmseg's SETR recipe, the heads at the base lr
max_iters = 300
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='FrozenBackboneOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=1.0, momentum=0.9, weight_decay=0.0))
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# each checkpoint's delta (what trains, on the named backbone) beside it
custom_hooks = [dict(type='DeltaCheckpointHook')]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
