# VTAB-1k Structured: SmallNORB/elevation (9 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'smallnorb_ele'
num_classes = 9
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
