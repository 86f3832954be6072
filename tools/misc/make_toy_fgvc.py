"""Write the generated toy set used by the smoke config and the tests."""
import argparse

from vpt_mm.testing import write_toy_fgvc


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('root', help='output folder, e.g. data/toy_fgvc')
    parser.add_argument('--num-classes', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    counts = write_toy_fgvc(
        args.root, num_classes=args.num_classes, seed=args.seed)
    print(f'wrote {counts} images to {args.root}')


if __name__ == '__main__':
    main()
