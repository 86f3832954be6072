# VTAB-1k in the folder layout most PETL code uses
# (data/vtab-1k/<task>/{train800,val200,train800val200,test}.txt); each
# task's base (vtab1k_<task>_bs128.py) adds the task and its class count.
# A config of your own sets data_root, task_name and num_classes at the
# top; the tools carry them into these dicts (vpt_mm/resolve.py).
# Transforms as the official VPT code (A.1, footnote 3): resize to 224x224
# ignoring the aspect ratio, ImageNet mean/std, no augmentation.
# Batch 128 (Tab. 8: VPT p < 100, Full).
dataset_type = 'VTAB1kDataset'
data_root = 'data/vtab-1k'
benchmark = 'vtab1k'
# The paper's protocol: grid search on train800 -> val200, then final runs
# (5 seeds) on train800val200 -> test. The configs are the final runs; a
# sweep tool switches the splits to `tune` for the search.
protocol = dict(
    tune=dict(train='train800', val='val200'),
    final=dict(train='train800val200', test='test'))

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train800val200',
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
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
