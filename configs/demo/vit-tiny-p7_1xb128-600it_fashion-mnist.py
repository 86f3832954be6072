# The demo's pretraining: a tiny ViT (28 px, patch 7, width 128, depth 6)
# trained from scratch on Fashion-MNIST for 600 iterations (1.3 epochs,
# about 2.5 minutes on 2 cores; tools/misc/prepare_demo_data.py unpacks
# Debian's dataset-fashion-mnist into data/demo/fashion-mnist).
_base_ = [
    '../_base_/models/vit-tiny-p7.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1)))

# Fashion-MNIST pixel mean / std
data_preprocessor = dict(
    num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)
train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
_dataset = dict(
    type='FashionMNIST', data_prefix='data/demo/fashion-mnist',
    download=False)
train_dataloader = dict(
    batch_size=128,
    num_workers=0,  # on 2 cores a worker process only competes with torch
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**_dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **_dataset, split='test', test_mode=True, pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_iters = 600
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=60),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=60,
         end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
