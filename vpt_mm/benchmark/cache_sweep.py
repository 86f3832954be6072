"""Wall time of a sweep with and without the frozen-feature cache and the
resident workers.

Each grid runs ``tools/sweep.py`` once per setting in :data:`SETTINGS`, in
fresh work dirs: *before* (``cache_frozen_features=False`` and
``--fresh-processes``: a run was a fresh process computing the frozen
forward every epoch), *cache* (the cache, fresh processes) and *now* (the
sweep's defaults: the cache where it is exact and resident workers), on
the demo's digits-1k or on a generated VTAB-1k task (``data``:
``'digits'`` or ``'toy'``; the tool writes it).
"""
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Sequence

#: name -> (cache on, resident workers)
SETTINGS: Dict[str, tuple] = {
    'before': (False, False),
    'cache': (True, False),
    'now': (True, True),
}

#: name -> config, data, grid and the options that shorten the runs
GRIDS: Dict[str, dict] = {
    'demo': dict(
        config='configs/demo/linear_vit-tiny-p7-fmnist_1xb64_digits1k.py',
        data='digits',
        # the demo's Linear grid as `make demo` runs it (the config's 20
        # epochs), one job
        lrs=['2.5', '1'], wds=['0.0001'], num_seeds=2,
        options=['model.backbone.init_cfg=None']),
    'vit-b16': dict(
        config='configs/linear/'
        'linear_vit-b16-in21k_1xb2048_vtab1k-eurosat.py',
        data='toy', per_split=dict(train800=64, val200=16, test=16),
        lrs=['1', '0.1'], wds=['0.001'], num_seeds=2,
        # one backbone file for every run, as a pretrained one (random
        # weights: the timing does not depend on them)
        checkpoint=True,
        # a tenth of the paper's 100 epochs, on 64 + 16 images
        options=['train_cfg.max_epochs=10',
                 'train_cfg.val_interval=10', 'param_scheduler.0.end=1',
                 'param_scheduler.1.begin=1', 'param_scheduler.1.end=10',
                 'train_dataloader.batch_size=16',
                 'train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False',
                 'val_dataloader.num_workers=0',
                 'val_dataloader.persistent_workers=False',
                 'val_dataloader.batch_size=16',
                 'default_hooks.checkpoint.interval=10']),
}


def backbone_path(data_root: str) -> str:
    """Where a grid with ``checkpoint=True`` keeps its backbone weights."""
    return osp.join(data_root, 'backbone.pth')


def sweep_command(grid: dict, work_dir: str, data_root: str, cache: bool,
                  resident: bool = True) -> List[str]:
    """The ``tools/sweep.py`` command of ``grid``."""
    options = grid['options'] + [f'data_root={data_root}']
    if grid.get('checkpoint'):
        options.append('model.backbone.init_cfg.checkpoint=' +
                       backbone_path(data_root))
    if not cache:
        options.append('cache_frozen_features=False')
    return [sys.executable, 'tools/sweep.py', grid['config'], '--work-dir',
            work_dir, '--lrs', *grid['lrs'], '--wds', *grid['wds'],
            '--num-seeds', str(grid['num_seeds']), '--jobs', '1',
            *([] if resident else ['--fresh-processes']),
            '--cfg-options', *options]


def time_grid(name: str, work_dir: str, data_root: str,
              settings: Sequence[str] = tuple(SETTINGS)) -> Dict[str, float]:
    """Seconds of the grid ``name`` in each of ``settings`` (names of
    :data:`SETTINGS`; its data already under ``data_root``)."""
    grid = GRIDS[name]
    seconds = {}
    for label in settings:
        cache, resident = SETTINGS[label]
        out = osp.join(work_dir, name, label)
        if osp.exists(out):
            raise SystemExit(f'{out} exists: give an empty --work-dir')
        start = time.time()
        subprocess.run(sweep_command(grid, out, data_root, cache, resident),
                       check=True)
        seconds[label] = time.time() - start
    return seconds
