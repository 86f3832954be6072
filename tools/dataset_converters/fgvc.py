"""Write an FGVC set's ``{train,val,test}.json`` from its original archive.

The split files are what ``FGVCDataset`` reads (``data_root`` = the output
folder, by default the archive's folder); where the set has no val split
(CUB, NABirds, Dogs, Cars) a seeded 10 % of train becomes val (paper
Tab. 7), the seed recorded in ``prepare.json``. Each split's size and the
class count are compared with Tab. 7: a difference is printed, one line
per split with both sizes, and with ``--strict`` the exit status is 1.

Examples:
    python tools/dataset_converters/fgvc.py cub data/fgvc/CUB_200_2011
    python tools/dataset_converters/fgvc.py nabirds data/fgvc/nabirds
    python tools/dataset_converters/fgvc.py flowers data/fgvc/flowers
    python tools/dataset_converters/fgvc.py dogs data/fgvc/dogs --strict
    python tools/dataset_converters/fgvc.py cars data/fgvc/cars --seed 1
"""
import argparse
import sys
from typing import List, Optional

from vpt_mm.preparation import FGVC_READERS, prepare_fgvc


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write the FGVC split files from an original archive.')
    parser.add_argument('name', choices=sorted(FGVC_READERS))
    parser.add_argument('root', help='the folder the archive extracted to')
    parser.add_argument(
        '--out', help='folder of the split files (default: root)')
    parser.add_argument(
        '--seed', type=int, default=0,
        help='seed of the sampled val split (default: 0)')
    parser.add_argument(
        '--no-image-check', action='store_true',
        help='do not check that every listed image exists')
    parser.add_argument(
        '--strict', action='store_true',
        help='exit with status 1 when a split size or the class count '
        'differs from the paper (Tab. 7)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        done = prepare_fgvc(args.name, args.root, args.out, seed=args.seed,
                            check_images=not args.no_image_check)
    except (OSError, ValueError, KeyError) as error:
        print(f'fgvc {args.name}: {type(error).__name__}: {error}')
        return 2
    sizes = ', '.join(f'{k} {v:,}' for k, v in done.sizes.items())
    print(f'fgvc {args.name}: wrote {sizes} ({done.num_classes} classes) '
          f'to {done.out_dir}')
    for line in done.differences:
        print(f'DIFFERS: {line}')
    if done.differences and args.strict:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
