"""Prepare the demo's data under ``data/demo`` from Debian packages.

Fashion-MNIST (``dataset-fashion-mnist``) is unpacked for pretraining and
OpenCV's digits (the copy in ``resources/opencv_digits``, or Debian's
``opencv-doc``) are written as the VTAB-1k-style task
``data/demo/vtab-1k/digits``. Exits with the apt-get line to run when a
package is missing.
"""
import argparse
import os.path as osp
import sys

from vpt_mm.apis.demo_data import (DIGITS_PATHS, DemoDataMissing,
                                   unpack_fashion_mnist, write_digits_1k)

BUNDLED_DIGITS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'resources', 'opencv_digits', 'digits.png')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/demo')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    try:
        fmnist = unpack_fashion_mnist(osp.join(args.out, 'fashion-mnist'))
        found = [
            path for path in (BUNDLED_DIGITS, ) + DIGITS_PATHS
            if osp.exists(path)
        ]
        digits = found[0] if found else None  # None: the error says why
        counts = write_digits_1k(
            osp.join(args.out, 'vtab-1k', 'digits'),
            digits_path=digits,
            seed=args.seed)
    except DemoDataMissing as error:
        sys.exit(f'prepare_demo_data: {error}')
    print(f'Fashion-MNIST in {fmnist}; digits-1k splits {counts}')


if __name__ == '__main__':
    main()
