# The paper's optimisation for VPT, Linear, Mlp and Sidetune (Tab. 6):
# SGD with momentum 0.9, lr = base_lr x batch / 256 (auto_scale_lr), 10
# linear warm-up epochs, then cosine decay to the end of 100 epochs.
# base_lr and weight_decay are one point of the grid below; the protocol's
# grid search picks them per task.
base_lr = 0.25
weight_decay = 0.001
max_epochs = 100
warmup_epochs = 10
# Tab. 6's grid for the SGD methods, read by the sweep tool
sweep_grid = dict(
    base_lr=[50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05],
    weight_decay=[0.01, 0.001, 0.0001, 0.])

optim_wrapper = dict(
    type='OptimWrapper',
    constructor='FrozenBackboneOptimWrapperConstructor',
    optimizer=dict(
        type='SGD', lr=base_lr, momentum=0.9, weight_decay=weight_decay))

param_scheduler = [
    # warm-up from a small lr, not from 0 (a defect of the official code)
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
val_cfg = dict()
test_cfg = dict()

# lr in the optimizer is the paper's base lr for a batch of 256
auto_scale_lr = dict(base_batch_size=256, enable=True)
