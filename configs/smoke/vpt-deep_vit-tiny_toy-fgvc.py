# A tiny end-to-end run of the exemplar's code path on a generated toy set
# in the FGVC layout (tools/misc/make_toy_fgvc.py): a 2-layer, 32-wide ViT
# on 32 px images, iteration-based. Used by the tests and `make demo`.
_base_ = '../vpt/vpt-deep_vit-b16-in21k_1xb128_cub.py'

num_classes = 4
data_root = 'data/toy_fgvc'

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64),
        img_size=32,
        patch_size=8,
        prompt_cfg=dict(num_tokens=4),
        init_cfg=None),
    head=dict(num_classes=num_classes, in_channels=32))
data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(36, 36)),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
_dataset = dict(data_root=data_root, num_classes=num_classes)
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**_dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(**_dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader

base_lr = 0.5
max_iters = 60
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=10),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=False, begin=10,
         end=max_iters),
]
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=30)
default_hooks = dict(
    logger=dict(interval=10, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=30, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
