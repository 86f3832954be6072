"""Write the segmentation demo's fashion-scenes task (ADE20K layout) from
the Fashion-MNIST test items that ``tools/misc/prepare_demo_data.py``
unpacks (the demo pretrains on the train items only).

    python tools/misc/prepare_seg_demo_data.py
"""
import argparse
import os.path as osp
import shutil
import sys

from vpt_mm.apis.seg_demo_data import (SPLIT_SIZES, expected_record,
                                       scenes_record, write_fashion_scenes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--fashion-mnist', default='data/demo/fashion-mnist',
                        help='the unpacked Fashion-MNIST IDX files')
    parser.add_argument('--out', default='data/demo/fashion-scenes')
    parser.add_argument('--seed', type=int, default=0)
    for split, size in SPLIT_SIZES.items():
        parser.add_argument(f'--{split}', type=int, default=size,
                            help=f'scenes in {split} (default {size})')
    args = parser.parse_args()
    sizes = {split: getattr(args, split) for split in SPLIT_SIZES}
    try:
        record = scenes_record(args.out)
    except ValueError as error:
        sys.exit(f'prepare_seg_demo_data: {error}')
    if record == expected_record(args.seed, sizes):
        print(f'fashion-scenes already in {args.out}')
        return
    if osp.isdir(osp.join(args.out, 'images')):
        # scenes of an older version or other options: written anew
        print(f'fashion-scenes in {args.out} differ from these options or '
              f'this version ({record}); writing them anew')
        for folder in ('images', 'annotations'):
            shutil.rmtree(osp.join(args.out, folder), ignore_errors=True)
    try:
        counts = write_fashion_scenes(
            args.out, args.fashion_mnist, seed=args.seed,
            split_sizes=sizes)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'prepare_seg_demo_data: {error}')
    print(f'fashion-scenes in {args.out}: {counts}')


if __name__ == '__main__':
    main()
