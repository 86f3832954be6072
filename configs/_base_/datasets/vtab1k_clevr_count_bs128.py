# VTAB-1k Structured: Clevr/count (8 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'clevr_count'
num_classes = 8
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
