# The paper's optimisation for Full, Partial, Bias and Adapter (Tab. 6):
# AdamW instead of SGD, with the same lr rule (lr = base_lr x batch / 256
# through auto_scale_lr), 10 warm-up epochs and cosine decay to 100 epochs.
# The default mmengine constructor: every parameter that requires grad
# trains. base_lr and weight_decay are one point of the grid below; the
# protocol's grid search picks them per task.
_base_ = './vpt_sgd-100e.py'

base_lr = 0.0005
weight_decay = 0.001
# Tab. 6's grid for the AdamW methods, read by the sweep tool
sweep_grid = dict(
    base_lr=[0.001, 0.0001, 0.0005, 0.005],
    weight_decay=[0.01, 0.001, 0.0001, 0.])

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, weight_decay=weight_decay))
