# VTAB-1k Natural: Pets (37 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'oxford_pet'
num_classes = 37
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
