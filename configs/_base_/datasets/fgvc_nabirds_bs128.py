# NABirds (555 classes) in the FGVC json layout.
_base_ = './fgvc_bs128.py'
task_name = 'nabirds'
data_root = 'data/fgvc/nabirds'
num_classes = 555
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
val_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
test_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
