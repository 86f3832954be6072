"""VTAB-1k task folders: check (and normalise) the shared image-folder
release, or write them from TensorFlow Datasets.

``check`` counts each task's split files under ROOT and prints, one line
each, any split whose size differs from the paper's Tab. 7 (800 / 200 /
1,000 / the task's test size), a missing split file or too many labels;
``--normalise`` first renames alias folders (``cifar``,
``oxford_iiit_pet``) and writes a missing ``train800val200.txt``.
``tfds`` writes the tasks from TFDS data already in ``--data-dir``
(``--download`` lets TFDS fetch it), with the VTAB protocol's slices. With
``--strict`` a difference makes the exit status 1.

Examples:
    python tools/dataset_converters/vtab1k.py check data/vtab-1k
    python tools/dataset_converters/vtab1k.py check data/vtab-1k --normalise
    python tools/dataset_converters/vtab1k.py tfds data/vtab-1k
        --tasks dtd eurosat --data-dir ~/tensorflow_datasets
"""
import argparse
import sys
from typing import List, Optional

from vpt_mm.preparation import (check_task, normalise_release,
                                prepare_vtab_tfds, task_folder)
from vpt_mm.tasks import VTAB_TASKS, split_size_differences


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='VTAB-1k task folders.')
    sub = parser.add_subparsers(dest='command', required=True)
    check = sub.add_parser('check', help='check a VTAB-1k folder release')
    check.add_argument('root', help='the folder holding the task folders')
    check.add_argument('--normalise', action='store_true',
                       help='rename alias folders, write missing '
                       'train800val200.txt')
    check.add_argument('--check-images', action='store_true',
                       help='check that every listed image exists')
    tfds = sub.add_parser('tfds', help='write task folders from TFDS')
    tfds.add_argument('root', help='where the task folders go')
    tfds.add_argument('--data-dir', help='the TFDS data folder')
    tfds.add_argument('--download', action='store_true',
                      help='let TFDS download what is missing')
    for command in (check, tfds):
        command.add_argument('--tasks', nargs='+', choices=list(VTAB_TASKS),
                             help='tasks (default: all 19; check: those '
                             'present)')
        command.add_argument('--strict', action='store_true',
                             help='exit 1 when a size differs from Tab. 7')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    differences: List[str] = []
    if args.command == 'check':
        if args.normalise:
            for line in normalise_release(args.root):
                print(line)
        tasks = args.tasks or [t for t in VTAB_TASKS
                               if task_folder(args.root, t)]
        if not tasks:
            print(f'vtab1k: no task folder under {args.root}')
            return 2
        for task in tasks:
            try:
                report = check_task(args.root, task, args.check_images)
            except (OSError, ValueError) as error:
                differences.append(f'{type(error).__name__}: {error}')
                continue
            sizes = ', '.join(f'{k} {v:,}' for k, v in report.sizes.items())
            print(f'vtab1k {task}: {sizes} ({report.num_classes} labels) '
                  f'in {report.folder}')
            differences += report.differences
    else:
        for task in args.tasks or list(VTAB_TASKS):
            sizes = prepare_vtab_tfds(task, args.root, args.data_dir,
                                      args.download)
            print(f'vtab1k {task}: wrote ' +
                  ', '.join(f'{k} {v:,}' for k, v in sizes.items()))
            differences += split_size_differences('vtab1k', task, sizes)
    for line in differences:
        print(f'DIFFERS: {line}')
    return 1 if differences and args.strict else 0


if __name__ == '__main__':
    sys.exit(main())
