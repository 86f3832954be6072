# VTAB-1k Structured: DMLab (6 classes). At 384 x 384.
_base_ = './vtab1k_384px_bs128.py'
task_name = 'dmlab'
num_classes = 6
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
