"""Train a vpt-mm config (classification or segmentation) with mmengine.

Examples:
    python tools/train.py configs/vpt/vpt-deep_vit-b16-in21k_1xb128_cub.py
    python tools/train.py CONFIG --work-dir work_dirs/run --resume
    bash tools/dist_train.sh CONFIG 8 --amp
    # a resident worker of tools/sweep.py (vpt_mm.apis.run_worker)
    python tools/train.py --serve-runs
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from vpt_mm.apis.gpu import apply_amp
from vpt_mm.apis.lr_scaling import enable_auto_scale_lr
from vpt_mm.checkpoint.io import UnreadableWeightsError
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.engine.runner import check_resumable
from vpt_mm.apis.runner import (add_common_args, build_runner,
                                 close_distributed, load_config)
from vpt_mm.apis.run_worker import SERVE_FLAG, serve_runs
from vpt_mm.runlock import RunDirLocked, hold_work_dir


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a path, from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision (bf16 where supported, else fp16)')
    parser.add_argument(
        '--compile', action='store_true',
        help='torch.compile the backbone (compile_backbone=True)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the global batch / auto_scale_lr.'
        'base_batch_size, as in mmpretrain (already on in vpt-mm configs: '
        'the lr rule of the paper)')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp:  # bf16 where the GPU supports it
        apply_amp(cfg)
    if args.compile:
        cfg.compile_backbone = True
    if args.auto_scale_lr:
        try:
            enable_auto_scale_lr(cfg)
        except ValueError as error:
            raise SystemExit(f'--auto-scale-lr: {error}')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise SystemExit(f'--resume: no checkpoint at {args.resume}')
        try:
            check_resumable(args.resume)
        except CheckpointMismatchError as error:
            raise SystemExit(str(error)) from error
        cfg.resume = True
        cfg.load_from = args.resume
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    try:  # one writer per work dir (the OS drops it if the process dies)
        lock = hold_work_dir(cfg.work_dir)
    except RunDirLocked as error:
        raise SystemExit(f'--work-dir: {error}') from None
    try:
        build_runner(cfg).train()
    except (CheckpointMismatchError, UnreadableWeightsError) as error:
        # one line: the file, and the key and both shapes, or what is wrong
        raise SystemExit(f'{type(error).__name__}: {error}') from None
    finally:
        lock.release()
    close_distributed()


if __name__ == '__main__':
    if sys.argv[1:] == [SERVE_FLAG]:
        sys.exit(serve_runs(main))
    main()
