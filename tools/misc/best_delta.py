"""Copy the delta of a sweep task's best final run to a fixed place.

Example (what tools/demo.sh does for each method):
    python tools/misc/best_delta.py work_dirs/demo/sweep/vpt-deep/digits \
        work_dirs/demo/deltas/vpt-deep.delta.safetensors
"""
import argparse

from vpt_mm.sweep.best_delta import copy_best_delta
from vpt_mm.sweep.errors import SweepError


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('task_dir', help="a sweep's task dir (results.json)")
    parser.add_argument('out', help='where the delta goes')
    args = parser.parse_args(argv)
    try:
        source = copy_best_delta(args.task_dir, args.out)
    except SweepError as error:
        raise SystemExit(str(error)) from error
    print(f'{args.out} <- {source}')


if __name__ == '__main__':
    main()
