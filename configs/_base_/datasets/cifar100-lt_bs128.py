# CIFAR-100-LT (CIFAR100LT): the exponential long-tailed subset of
# CIFAR-100's training set, from the python pickles in
# data/cifar100/cifar-100-python/{train,test}; a config sets
# imbalance_ratio on train_dataloader.dataset. 32 x 32 images: train
# RandomCrop 32 (padding 4) and a horizontal flip, then resize to 224 x 224
# for the ViT; test resize only. ImageNet mean/std on the RGB arrays.
# Scored by ErrorRate: accuracy/top1 and error/top1 = 100 - accuracy.
dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'
benchmark = 'cifar100-lt'
# tuning: the subset without 20 held-out images per class -> those
# (balanced) images; final runs: the subset -> the balanced test set
protocol = dict(
    tune=dict(train='train_tune', val='val'),
    final=dict(train='train', test='test'))

data_preprocessor = dict(
    num_classes=100,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imbalance_ratio=100,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# as in mmpretrain, validation during the final run scores the test split
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='ErrorRate', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
