"""Model FLOPs per image and MFU of a ``benchmark.py --json`` file.

Example::

    python tools/analysis/mfu.py work_dirs/benchmark.json --out mfu.md
"""
import argparse
import json

from vpt_mm.benchmark.mfu_table import VIT_ARCHS, format_mfu_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', help='the --json of benchmark.py')
    parser.add_argument('--arch', default='b', choices=sorted(VIT_ARCHS))
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--device-name',
                        help='default: torch.cuda.get_device_name()')
    parser.add_argument('--out', help='write the table here too')
    args = parser.parse_args()
    name = args.device_name
    if name is None:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('mfu.py: no CUDA device; give --device-name')
        name = torch.cuda.get_device_name()
    with open(args.results) as file:
        results = [r for r in json.load(file)
                   if str(r.get('device', '')).startswith('cuda')
                   or args.device_name]
    table = format_mfu_table(results, name, args.arch, args.img_size)
    print(table)
    if args.out:
        with open(args.out, 'w') as file:
            file.write(table + '\n')


if __name__ == '__main__':
    main()
