"""Generate the config zoo's table-shaped configs (and each generated
folder's README.md and metafile.yml) from configs/zoo.yml, and
model-index.yml (mim's index over every folder's metafile.yml).

    python tools/misc/generate_configs.py          # write what differs
    python tools/misc/generate_configs.py --check  # exit 1, naming them
"""
import argparse
import os.path as osp
import sys

from vpt_mm.zoo import (ManifestError, check, check_model_index, write,
                        write_model_index)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--check', action='store_true',
        help='write nothing; exit non-zero and name the files that differ '
        'from the manifest (or that it does not produce)')
    parser.add_argument(
        '--configs', default=osp.join(ROOT, 'configs'),
        help='the configs folder holding zoo.yml (default: %(default)s)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    repo_root = osp.dirname(osp.abspath(args.configs))
    try:
        if args.check:
            differ, stale = check(args.configs)
            for path in differ:
                print(f'differs: configs/{path}')
            for path in stale:
                print(f'not in the manifest: configs/{path}')
            index = check_model_index(repo_root)
            for problem in index:
                print(problem)
            return 1 if differ or stale or index else 0
        written, removed = write(args.configs)
    except ManifestError as error:
        print(error, file=sys.stderr)
        return 2
    for path in written:
        print(f'wrote configs/{path}')
    if write_model_index(repo_root):
        print('wrote model-index.yml')
    for problem in check_model_index(repo_root):
        print(problem, file=sys.stderr)
    for path in removed:
        print(f'removed configs/{path}')
    print(f'{len(written)} written, {len(removed)} removed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
