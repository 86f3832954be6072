# Oxford Flowers (102 classes) in the FGVC json layout.
_base_ = './fgvc_bs128.py'
task_name = 'flowers'
data_root = 'data/fgvc/OxfordFlower'
num_classes = 102
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
val_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
test_dataloader = dict(dataset=dict(data_root=data_root, name=task_name))
