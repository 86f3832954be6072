"""``train.py --auto-scale-lr``: mmpretrain's opt-in lr scaling on a
vpt-mm config.

mmengine scales the optimizer's lr by the global batch (GPUs x
``train_dataloader.batch_size``) / ``auto_scale_lr.base_batch_size`` when
``auto_scale_lr.enable`` is true. mmpretrain's configs leave it off and
its ``train.py --auto-scale-lr`` turns it on. vpt-mm's schedules turn it on
in the config (``_base_/schedules/vpt_sgd-100e.py``): the paper's lr is
``base_lr x batch / 256`` (Tab. 6), the lrs of the configs and of the
sweep's grid are those base lrs, and every run, through our ``train.py``
or the hosts', scales them. The flag is therefore accepted and changes
nothing on our configs; on a config that declares ``auto_scale_lr`` with
``enable=False`` it turns scaling on, as in mmpretrain. To train with the
optimizer's lr as written: ``--cfg-options auto_scale_lr.enable=False``.
"""
from typing import Mapping


def enable_auto_scale_lr(cfg) -> None:
    """Turn on ``cfg.auto_scale_lr`` (in place), as mmpretrain's
    ``--auto-scale-lr`` does.

    Raises:
        ValueError: The config has no ``auto_scale_lr.base_batch_size``
            to scale against.
    """
    scaling = cfg.get('auto_scale_lr')
    if not isinstance(scaling, Mapping) or \
            'base_batch_size' not in scaling:
        raise ValueError(
            'auto_scale_lr.base_batch_size: the config declares no batch '
            'size the lr is set for, e.g. auto_scale_lr = '
            'dict(base_batch_size=256)')
    scaling['enable'] = True
