# CUB-200-2011 (200 classes) in the FGVC json layout.
_base_ = './fgvc_bs128.py'
task_name = 'cub'
data_root = 'data/fgvc/CUB_200_2011'
num_classes = 200
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
val_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
test_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
