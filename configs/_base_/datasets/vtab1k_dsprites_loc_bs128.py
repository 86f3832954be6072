# VTAB-1k Structured: dSprites/location (16 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'dsprites_loc'
num_classes = 16
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
