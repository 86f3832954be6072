# The SGD schedule of vpt_sgd-100e.py over 50 epochs, the paper's length
# for ViT-L/16 and ViT-H/14 (Tab. 6): 10 warm-up epochs, then cosine.
_base_ = './vpt_sgd-100e.py'

max_epochs = 50
warmup_epochs = 10
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
