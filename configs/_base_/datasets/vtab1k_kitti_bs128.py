# VTAB-1k Structured: KITTI/distance (4 classes).
_base_ = './vtab1k_bs128.py'
task_name = 'kitti'
data_preprocessor = dict(num_classes=4)
train_dataloader = dict(dataset=dict(task=task_name))
val_dataloader = dict(dataset=dict(task=task_name))
test_dataloader = dict(dataset=dict(task=task_name))
