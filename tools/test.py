"""Evaluate a checkpoint of a vpt-mm config (classification or segmentation).

Examples:
    python tools/test.py CONFIG work_dirs/run/iter_1000.pth
    python tools/test.py CONFIG work_dirs/run/epoch_100.delta.safetensors
    bash tools/dist_test.sh CONFIG CHECKPOINT 8 --out results.pkl
"""
import argparse
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.evaluator import DumpResults

from vpt_mm.models.peft.delta import DELTA_SUFFIX, load_delta, unwrap
from vpt_mm.utils.runner import add_common_args, build_runner, load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file (.pth), or a delta (.safetensors) that goes '
        "on top of the pretrained backbone of the config's init_cfg")
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint: no file at {args.checkpoint}')
    cfg = load_config(args)
    is_delta = args.checkpoint.endswith(DELTA_SUFFIX)
    cfg.load_from = None if is_delta else args.checkpoint
    runner = build_runner(cfg)
    if is_delta:
        # the shared backbone from the config's init_cfg, then the delta;
        # strict: every trained key with its shape, and nothing else
        model = unwrap(runner.model)
        model.init_weights()
        load_delta(model, args.checkpoint)
    else:
        # Strict: a checkpoint that does not fit the config (a missing key,
        # a prompt of another length) is an error here, not a warning.
        runner.load_checkpoint(args.checkpoint, strict=True)
    if args.out is not None:
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if is_main_process():
        print({
            key: round(float(value), 4)
            for key, value in metrics.items()
        })


if __name__ == '__main__':
    main()
