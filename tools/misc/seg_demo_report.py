"""The segmentation demo's mIoU table and picture of test predictions,
from its sweep dirs (one per method; ``tools/sweep.py --metric mIoU``).

    python tools/misc/seg_demo_report.py work_dirs/demo/seg/head-only \
        work_dirs/demo/seg/full --method-name Head-only Full \
        --out-dir work_dirs/demo
"""
import argparse
import sys

from vpt_mm.apis.seg_demo_report import parse_methods, write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('sweep_dirs', nargs='+', metavar='SWEEP_DIR')
    parser.add_argument('--method-name', nargs='+', required=True)
    parser.add_argument('--data-root', default='data/demo/fashion-scenes')
    parser.add_argument('--out-dir', default='work_dirs/demo')
    parser.add_argument('--num-images', type=int, default=4)
    args = parser.parse_args()
    try:
        methods = parse_methods(args.method_name, args.sweep_dirs)
        report = write_report(methods, args.data_root, args.out_dir,
                              args.num_images)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'seg_demo_report: {error}')
    print(report['table'])
    print(f"table -> {report['markdown']}; picture -> {report['picture']}")


if __name__ == '__main__':
    main()
