# digits-1k: OpenCV's handwritten digits written as a VTAB-1k task by
# tools/misc/prepare_demo_data.py (800 train / 200 val / 4,000 test).
# VTAB-style transforms: resize to the model's size, no augmentation.
dataset_type = 'VTAB1kDataset'
data_root = 'data/demo/vtab-1k'
task_name = 'digits'
benchmark = 'digits-1k'
protocol = dict(
    tune=dict(train='train800', val='val200'),
    final=dict(train='train800val200', test='test'))

# Fashion-MNIST pixel statistics: the pretraining's normalisation
data_preprocessor = dict(
    num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)
pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=(28, 28)),
    dict(type='PackInputs'),
]
_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    task=task_name,
    num_classes=10,
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**_dataset, split='train800val200'))
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, split='test'))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
