"""Build segmentation configs at their real sizes and take one training
step and one sliding-window test step each on the CPU.

The model is the config's (random backbone weights written in the layout
of the converted checkpoint and loaded strictly, the config's optimizer
wrapper, its pipelines and ``test_cfg``), so a typo in an inherited mmseg
config fails here rather than on a cluster. By default one config per
decoder and backbone (the VPT-deep rows, the heaviest path through a
frozen backbone) and each family's Full row once; ``--all`` checks every
config of configs/setr, configs/upernet and configs/segmenter.

Usage::

    python tools/analysis/check_real_size.py [CONFIG ...] [--all]
        [--size 128]
"""
import argparse
import glob
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT = [
    'setr/setr_vpt-deep-p10_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py',
    'upernet/upernet_vpt-deep-p10_vit-b16-in21k_mln_8xb2-160k_'
    'ade20k-512x512.py',
    'upernet/upernet_full_vit-b16-mae_8xb2-160k_ade20k-512x512.py',
    'upernet/upernet_vpt-deep-p10_swin-b-in21k_8xb2-160k_ade20k-512x512.py',
    'segmenter/segmenter_vpt-deep-p10_vit-b16-in21k_mask_8xb1-160k_'
    'ade20k-512x512.py',
]


def all_configs():
    """Every config of the three folders but the one-line aliases."""
    found = []
    for folder in ('setr', 'upernet', 'segmenter'):
        for path in sorted(glob.glob(osp.join(ROOT, 'configs', folder,
                                              '*.py'))):
            if '8xb' in osp.basename(path):
                found.append(path)
    return found


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*', help='config files')
    parser.add_argument('--all', action='store_true',
                        help='every SETR, UperNet and Segmenter config')
    parser.add_argument('--size', type=int, default=None,
                        help="crop size (default: the config's own)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.all:
        configs = all_configs()
    elif args.configs:
        configs = args.configs
    else:
        configs = [osp.join(ROOT, 'configs', name) for name in DEFAULT]
    for config in configs:
        if not osp.isfile(config):
            print(f'check_real_size: no such config: {config}',
                  file=sys.stderr)
            return 2
    import vpt_mm.modules  # noqa: F401  (registers; applies the patches)
    from mmengine.logging import MMLogger

    # the models' initialisation reports only what goes wrong
    MMLogger.get_instance('check_real_size', log_level='WARNING')
    from vpt_mm.apis.real_size import check_config

    failed = 0
    start = time.perf_counter()
    print('| config | trainable | total | train batch | loss | '
          'prediction | build s | train s | test s |')
    print('| :--- | ---: | ---: | ---: | ---: | :--- | ---: | ---: | ---: |')
    for config in configs:
        try:
            r = check_config(config, args.size)
        except Exception as error:  # report every config, then fail
            failed += 1
            print(f'| {osp.basename(config)} | FAILED: '
                  f'{type(error).__name__}: {error} |', flush=True)
            continue
        s = r['seconds']
        print(f"| {osp.basename(config)} | {r['trainable']:,} | "
              f"{r['total']:,} | {r['train_batch']} | {r['loss']:.3f} | "
              f"{r['pred_shape'][0]}x{r['pred_shape'][1]} | "
              f"{s['build']:.1f} | {s['train']:.1f} | {s['test']:.1f} |",
              flush=True)
    print(f'{len(configs) - failed}/{len(configs)} configs passed in '
          f'{time.perf_counter() - start:.0f} s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
