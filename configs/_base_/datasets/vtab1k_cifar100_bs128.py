# VTAB-1k Natural: CIFAR-100 (100 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'cifar100'
num_classes = 100
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
