"""Decode every image of a config's datasets and report unusable ones.

Building a dataset already checks that each listed image exists; decoding
them all is slow, so it is done here, once, before a long run. Images are
read the way the dataset pipeline's ``LoadImageFromFile`` reads them. Each
unreadable, empty, corrupt or truncated image is printed on one line with
where it is listed (split file and line for VTAB-1k, JSON entry for FGVC,
once the dataset records a ``source``; the image path otherwise), and the
exit status is 1. A dataset that does not build is reported the same way.
With no problem, one ``OK`` line is printed and the exit status is 0.

``--paper`` also compares each FGVC and VTAB-1k dataset with the paper's
Tab. 7 (its split's size, its class count): each difference is printed on
one ``DIFFERS:`` line and the exit status is 1.

Examples:
    python tools/misc/check_dataset.py CONFIG
    python tools/misc/check_dataset.py CONFIG --split train
    python tools/misc/check_dataset.py CONFIG --paper
    python tools/misc/check_dataset.py CONFIG --cfg-options
        train_dataloader.dataset.data_root=data/vtab-1k
"""
import argparse
import copy
import sys
from typing import List, Optional, Tuple

# vpt_mm first: it applies its compatibility shims before the hosts load
from vpt_mm.apis.check_dataset import (  # isort: skip
    check_images, paper_differences)
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import DATASETS, init_default_scope

from vpt_mm.resolve import resolve_config

SPLITS = ('train', 'val', 'test')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Decode every image of the datasets of a config and '
        'report those that cannot be used.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--split',
        choices=SPLITS + ('all', ),
        default='all',
        help='the dataset of which dataloader to check (default: all)')
    parser.add_argument(
        '--workers',
        type=int,
        default=8,
        help='threads reading and decoding images (default: 8)')
    parser.add_argument(
        '--paper',
        action='store_true',
        help="also report FGVC/VTAB-1k split sizes and class counts that "
        "differ from the paper's Tab. 7 (exit status 1 when any does)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs, e.g. '
        'train_dataloader.dataset.data_root=data/vtab-1k')
    return parser.parse_args(argv)


def dataset_configs(cfg: Config,
                    split: str) -> List[Tuple[List[str], ConfigDict]]:
    """The dataset configs of the requested dataloaders, each with the
    splits using it (``val`` and ``test`` often share one)."""
    found: List[Tuple[List[str], ConfigDict]] = []
    for name in SPLITS if split == 'all' else (split, ):
        loader = cfg.get(f'{name}_dataloader')
        dataset = loader.get('dataset') if loader else None
        if dataset is None:
            continue
        for names, other in found:
            if other == dataset:
                names.append(name)
                break
        else:
            found.append(([name], dataset))
    return found


def one_line(error: Exception) -> str:
    return f'{type(error).__name__}: ' + ' '.join(str(error).split())


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    resolve_config(cfg)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
        resolve_config(cfg, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    groups = dataset_configs(cfg, args.split)
    if not groups:
        wanted = 'any dataloader' if args.split == 'all' else \
            f'{args.split}_dataloader'
        print(f'check_dataset: {args.config} has no dataset in {wanted}')
        return 2
    cache: dict = {}
    counts, problems, broken, differences = [], 0, 0, []
    for names, dataset_cfg in groups:
        label = '/'.join(names)
        try:
            dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
        except Exception as error:
            print(f'{label}: the dataset does not build: {one_line(error)}')
            broken += 1
            continue
        print(f'check_dataset: decoding the {label} images ({len(dataset)})',
              file=sys.stderr, flush=True)
        found = check_images(dataset, num_workers=args.workers, cache=cache)
        for problem in found:
            print(problem, flush=True)
        problems += len(found)
        if args.paper:
            for line in paper_differences(dataset):
                print(f'DIFFERS: {line}', flush=True)
                differences.append(line)
        counts.append(f'{label} {len(dataset)}')
    checked = ', '.join(counts) or 'none'
    if problems or broken or differences:
        paper = f', {len(differences)} difference(s) from the paper' \
            if args.paper else ''
        print(f'FAILED: {problems} unusable image(s), {broken} dataset(s) '
              f'that do not build{paper}; checked {checked} entries '
              f'({len(cache)} files) of {args.config}')
        return 1
    agree = ', sizes and class counts as in the paper (Tab. 7)' \
        if args.paper else ''
    print(f'OK: every image decodes{agree}; checked {checked} entries '
          f'({len(cache)} files) of {args.config}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
