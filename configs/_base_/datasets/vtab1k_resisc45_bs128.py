# VTAB-1k Specialized: Resisc45 (45 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'resisc45'
num_classes = 45
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
