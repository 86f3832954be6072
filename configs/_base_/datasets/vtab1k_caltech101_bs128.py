# VTAB-1k Natural: Caltech101 (102 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'caltech101'
num_classes = 102
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
