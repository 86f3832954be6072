"""Wall time of a Linear sweep with and without the frozen-feature cache.

Example::

    python tools/analysis/feature_cache_benchmark.py demo vit-b16 \
        --work-dir work_dirs/cache_bench
"""
import argparse
import os.path as osp

from vpt_mm.benchmark.cache_sweep import GRIDS, time_grid


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('grids', nargs='+', choices=sorted(GRIDS))
    parser.add_argument('--work-dir', default='work_dirs/cache_bench')
    args = parser.parse_args()
    rows = []
    for name in args.grids:
        data_root = osp.join(args.work_dir, 'data', name)
        prepare_data(GRIDS[name], data_root)
        seconds = time_grid(name, args.work_dir, data_root)
        rows.append(f'| {name} | {seconds["uncached"]:.0f} s | '
                    f'{seconds["cached"]:.0f} s | '
                    f'{seconds["uncached"] / seconds["cached"]:.1f}x |')
    print('| grid | uncached | cached | speed-up |\n|---|---|---|---|')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
