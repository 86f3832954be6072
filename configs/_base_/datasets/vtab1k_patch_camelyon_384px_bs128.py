# VTAB-1k Specialized: Patch Camelyon (2 classes). At 384 x 384.
_base_ = './vtab1k_384px_bs128.py'
task_name = 'patch_camelyon'
num_classes = 2
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
