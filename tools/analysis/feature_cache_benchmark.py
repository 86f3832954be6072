"""Wall time of a Linear sweep with and without the frozen-feature cache
and the resident workers.

Example::

    python tools/analysis/feature_cache_benchmark.py demo vit-b16 \
        --work-dir work_dirs/cache_bench
"""
import argparse
import os.path as osp

from vpt_mm.benchmark.cache_sweep import (GRIDS, SETTINGS, backbone_path,
                                          time_grid)


def prepare_data(grid: dict, data_root: str) -> None:
    """Write the grid's task under ``data_root`` unless it is there."""
    if grid['data'] == 'digits':
        from vpt_mm.apis.demo_data import write_digits_1k
        task_dir = osp.join(data_root, 'digits')
        if not osp.isfile(osp.join(task_dir, 'test.txt')):
            write_digits_1k(task_dir, osp.join('resources', 'opencv_digits',
                                               'digits.png'))
        return
    from vpt_mm.testing.toy_vtab import write_toy_vtab
    task_dir = osp.join(data_root, 'eurosat')
    if not osp.isfile(osp.join(task_dir, 'test.txt')):
        write_toy_vtab(task_dir, 10, grid['per_split'])
    if grid.get('checkpoint'):
        write_backbone(grid['config'], backbone_path(data_root))


def write_backbone(config: str, path: str) -> None:
    """A randomly initialised backbone of ``config`` at ``path``, in the
    layout its ``init_cfg`` reads (``backbone.`` keys): one set of
    weights for every run and seed, as a pretrained backbone is."""
    if osp.isfile(path):
        return
    import torch
    from mmengine.config import Config

    import vpt_mm.modules  # noqa: F401  (registration)
    from vpt_mm.apis.model import build_model_from_config
    from vpt_mm.checkpoint.atomic import atomic_path
    torch.manual_seed(0)
    model = build_model_from_config(Config.fromfile(config), init_cfg=False)
    state = {key: value for key, value in model.state_dict().items()
             if key.startswith('backbone.')}
    with atomic_path(path) as tmp:  # a killed write leaves no file
        torch.save(dict(state_dict=state), tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('grids', nargs='+', choices=sorted(GRIDS))
    parser.add_argument('--settings', nargs='+', choices=list(SETTINGS),
                        default=list(SETTINGS),
                        help='before: no cache, a process per run; cache: '
                        "the cache only; now: the sweep's defaults (cache "
                        'and resident workers)')
    parser.add_argument('--work-dir', default='work_dirs/cache_bench')
    args = parser.parse_args()
    settings = args.settings
    rows = []
    for name in args.grids:
        data_root = osp.join(args.work_dir, 'data', name)
        prepare_data(GRIDS[name], data_root)
        seconds = time_grid(name, args.work_dir, data_root, settings)
        cells = [f'{seconds[label]:.0f} s' for label in settings]
        cells += [f'{seconds[settings[0]] / seconds[label]:.1f}x'
                  for label in settings[1:]]
        rows.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    header = list(settings) + [f'{settings[0]} / {label}'
                               for label in settings[1:]]
    print('| grid | ' + ' | '.join(header) + ' |')
    print('|---|' + '---|' * len(header))
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
