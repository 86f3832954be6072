# Linear probe: frozen backbone (a PromptedViT with no prompts), head only.
# The paper's SGD recipe, shortened to 20 epochs (2 of warm-up) so that the
# whole demo runs in minutes on a CPU.
_base_ = [
    '../_base_/models/vpt_vit-tiny-p7.py',
    '../_base_/datasets/vtab1k_digits-demo_bs64.py',
    '../_base_/schedules/vpt_sgd-100e.py',
    '../_base_/default_runtime.py',
]

max_epochs = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=2,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
