# VTAB-1k at 384 x 384 (Tab. 11): vtab1k_bs128.py with the images resized
# to 384 x 384 instead of 224 x 224.
_base_ = './vtab1k_bs128.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(384, 384)),
    dict(type='PackInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
