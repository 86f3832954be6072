"""Wall time of a Linear sweep with and without the frozen-feature cache.

Example::

    python tools/analysis/feature_cache_benchmark.py demo vit-b16 \
        --work-dir work_dirs/cache_bench
"""
import argparse
import os.path as osp

from vpt_mm.benchmark.cache_sweep import GRIDS, time_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('grids', nargs='+', choices=sorted(GRIDS))
    parser.add_argument('--work-dir', default='work_dirs/cache_bench')
    args = parser.parse_args()
    rows = []
    for name in args.grids:
        data_root = osp.join(args.work_dir, 'data', name)
        seconds = time_grid(name, args.work_dir, data_root)
        rows.append(f'| {name} | {seconds["uncached"]:.0f} s | '
                    f'{seconds["cached"]:.0f} s | '
                    f'{seconds["uncached"] / seconds["cached"]:.1f}x |')
    print('| grid | uncached | cached | speed-up |\n|---|---|---|---|')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
