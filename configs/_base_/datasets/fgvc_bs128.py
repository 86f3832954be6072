# The FGVC benchmark (CUB, NABirds, Flowers, Dogs, Cars) in the json layout
# of the official VPT code (tools/dataset_converters/fgvc.py writes it from
# the archives); each set's base (fgvc_<name>_bs128.py) adds its
# data_root, name and class count. Paper transforms (A.1): train Resize
# 256x256 -> RandomCrop 224 -> horizontal flip; eval Resize 256x256 ->
# CenterCrop 224; ImageNet mean/std. Batch 128 (Tab. 8: VPT p < 100, Full).
# A config of your own sets data_root, task_name and num_classes at the
# top; the tools carry them into these dicts (vpt_mm/resolve.py).
dataset_type = 'FGVCDataset'
benchmark = 'fgvc'
# The paper's protocol: grid search on train -> val, then final runs
# (5 seeds) on train + val -> test. The configs are the final runs; a sweep
# tool switches the splits to `tune` for the search.
protocol = dict(
    tune=dict(train='train', val='val'),
    final=dict(train='trainval', test='test'))

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type, split='trainval', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# as in mmpretrain, validation during the final run scores the test split
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
