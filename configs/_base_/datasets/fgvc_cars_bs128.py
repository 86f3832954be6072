# Stanford Cars (196 classes) in the FGVC json layout.
_base_ = './fgvc_bs128.py'
task_name = 'cars'
data_root = 'data/fgvc/Stanford-cars'
num_classes = 196
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
val_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
test_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
