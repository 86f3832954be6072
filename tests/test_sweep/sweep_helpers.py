"""What the sweep's tests share: task configs, plans and mmengine logs."""
import json
import os
import os.path as osp

from mmengine.config import Config

from vpt_mm.sweep.plan import task_from_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
VTAB_PROTOCOL = dict(tune=dict(train='train800', val='val200'),
                     final=dict(train='train800val200', test='test'))
FGVC_PROTOCOL = dict(tune=dict(train='train', val='val'),
                     final=dict(train='trainval', test='test'))


def vtab_cfg(**extra):
    cfg = dict(
        protocol=VTAB_PROTOCOL, task_name='cifar100', benchmark='vtab1k',
        sweep_grid=dict(base_lr=[1.0, 0.1], weight_decay=[0.01, 0.0]),
        train_cfg=dict(by_epoch=True, max_epochs=100, val_interval=10),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=50)))
    cfg.update(extra)
    return Config(cfg)


def iter_cfg(**extra):
    cfg = dict(
        protocol=FGVC_PROTOCOL, task_name='cub', benchmark='fgvc',
        sweep_grid=dict(base_lr=[0.5, 0.05], weight_decay=[0.001]),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=10,
                       val_interval=5),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=10)))
    cfg.update(extra)
    return Config(cfg)


def make_spec(tmp_path, cfg=None, **kwargs):
    kwargs.setdefault('seeds', [0, 1])
    return task_from_config(cfg or iter_cfg(), 'configs/x/task.py',
                            str(tmp_path / 'sweep'), **kwargs)


def prompt_cfg(lengths=(1, 5, 10), **extra):
    return iter_cfg(
        sweep_grid=dict(base_lr=[0.5, 0.05], weight_decay=[0.001],
                        num_tokens=list(lengths)),
        model=dict(backbone=dict(prompt_cfg=dict(num_tokens=10))), **extra)


# the lines mmengine 0.10 writes to <timestamp>/vis_data/scalars.json
SCALARS = [
    {'base_lr': 0.167, 'lr': 0.0104, 'data_time': 0.0086, 'loss': 1.4049,
     'time': 0.2878, 'iter': 4, 'step': 4},
    {'accuracy/top1': 50.0, 'data_time': 0.0070, 'time': 0.1913, 'step': 5},
    {'base_lr': 0.5, 'lr': 0.03125, 'data_time': 0.0099, 'loss': 1.2212,
     'time': 0.3017, 'iter': 10, 'step': 10},
    {'accuracy/top1': 75.0, 'data_time': 0.0070, 'time': 0.1913, 'step': 10},
]


def write_log(work_dir, stamp, records, tail=''):
    folder = osp.join(work_dir, stamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'scalars.json'), 'w') as file:
        for record in records:
            file.write(json.dumps(record) + '\n')
        file.write(tail)
