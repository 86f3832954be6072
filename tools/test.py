"""Evaluate a checkpoint of a vpt-mm config (classification or segmentation).

Examples:
    python tools/test.py CONFIG work_dirs/run/iter_1000.pth
    bash tools/dist_test.sh CONFIG CHECKPOINT 8 --out results.pkl
"""
import argparse
import os
import os.path as osp

from vpt_mm.utils import compat  # noqa: I001 (patches before the hosts load)

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.evaluator import DumpResults  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint: no file at {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    compat.setup_cpu_distributed(cfg, args.launcher)
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    print({key: round(float(value), 4) for key, value in metrics.items()})


if __name__ == '__main__':
    main()
