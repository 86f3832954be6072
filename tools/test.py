"""Evaluate a checkpoint of a vpt-mm config (classification or segmentation).

Examples:
    python tools/test.py CONFIG work_dirs/run/iter_1000.pth
    python tools/test.py CONFIG work_dirs/run/epoch_100.delta.safetensors
    python tools/test.py CONFIG --prompt-ensemble \
        seed0/epoch_100.delta.safetensors seed1/epoch_100.delta.safetensors
    python tools/test.py SEG_CONFIG iter_160000.delta.safetensors --tta
    bash tools/dist_test.sh CONFIG CHECKPOINT 8 --out results.pkl
    python tools/test.py SEG_CONFIG CKPT --out preds/ --show-dir vis/
"""
import argparse
import os
import os.path as osp
from typing import List

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.model import BaseTTAModel
from mmengine.runner import Runner
from torch.nn import Module

from vpt_mm.checkpoint.delta import DELTA_CONTAINER_SUFFIX, OVERRIDE_FLAG
from vpt_mm.checkpoint.io import UnreadableWeightsError
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.models.delta import load_delta, unwrap
from vpt_mm.models.ensemble import build_prompt_ensemble
from vpt_mm.apis.runner import (add_common_args, build_runner,
                                 close_distributed, load_config)
from vpt_mm.apis.test_outputs import (add_output_args, add_prediction_dump,
                                      dump_metrics, pickles, prepare_outputs)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (.pth), or a delta (.safetensors) that goes '
        "on top of the pretrained backbone of the config's init_cfg; "
        'leave out with --prompt-ensemble')
    parser.add_argument(
        '--prompt-ensemble',
        nargs='+',
        metavar='CKPT',
        help='evaluate the prompt ensemble (Fig. 15) of k runs of the '
        'config: their checkpoints (.pth) or deltas (.safetensors), one '
        "backbone forward on the batch replicated k times, the k heads' "
        'logits averaged')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation with the config's tta_model and "
        "tta_pipeline (e.g. the SETR configs' multi-scale test), as mmseg's "
        'test.py --tta')
    add_output_args(parser)
    parser.add_argument(
        OVERRIDE_FLAG,
        action='store_true',
        help='apply a delta on a backbone other than the one it was '
        'trained on, or on an uninitialised one (logged); wrong numbers '
        'unless you know the backbones agree')
    add_common_args(parser)
    return parser.parse_args(argv)


def checkpoint_files(args: argparse.Namespace) -> List[str]:
    """The checkpoint or the ensemble's checkpoints, each an existing file.

    Raises:
        SystemExit: With a one-line message naming the argument or file.
    """
    if args.prompt_ensemble is not None:
        if args.checkpoint is not None:
            raise SystemExit(
                f'checkpoint: give either CHECKPOINT ({args.checkpoint}) or '
                '--prompt-ensemble CKPT [CKPT ...], not both')
        files, option = args.prompt_ensemble, '--prompt-ensemble'
    elif args.checkpoint is None:
        raise SystemExit('checkpoint: give a checkpoint file (or '
                         '--prompt-ensemble CKPT [CKPT ...])')
    else:
        files, option = [args.checkpoint], 'checkpoint'
    for name in files:
        if not osp.isfile(name):
            raise SystemExit(f'{option}: no file at {name}')
    return files


def check_out_file(out: str, folder: bool = False) -> None:
    """``--out`` can be written, checked before the test pass: a pickle
    file, or with ``folder`` a directory (segmentation label maps).

    Raises:
        SystemExit: With a one-line message naming ``--out`` and the path.
    """
    if not folder:
        if not out.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'--out: {out} must end with .pkl or .pickle')
        if osp.isdir(out):
            raise SystemExit(f'--out: {out} is a folder, not a file')
    elif osp.exists(out) and not osp.isdir(out):
        raise SystemExit(f'--out: {out} is a file, not a folder for the '
                         'label maps')
    parent = osp.dirname(osp.abspath(out))
    while not osp.exists(parent):  # missing folders are created
        parent = osp.dirname(parent)
    target = out if osp.exists(out) else parent
    if not osp.isdir(parent):
        raise SystemExit(f'--out: cannot write {out} ({parent} is a file, '
                         'not a folder)')
    if not os.access(target, os.W_OK):
        raise SystemExit(f'--out: cannot write {out} ({target} is not '
                         'writable)')


def use_tta(cfg: Config) -> None:
    """Wrap the config's model in its ``tta_model``, in place.

    The test pipeline becomes ``tta_pipeline``, as mmseg's ``test.py --tta``
    does it.

    Raises:
        SystemExit: If the config has no ``tta_model`` or ``tta_pipeline``.
    """
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        raise SystemExit(f'--tta: the config has no {" and no ".join(missing)}'
                         ' (set both to test with augmentation)')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def tested_model(runner: Runner) -> Module:
    """The config's model in the runner: inside the DDP and TTA wrappers."""
    model = unwrap(runner.model)
    return model.module if isinstance(model, BaseTTAModel) else model


def build_ensemble_runner(cfg: Config,
                          files: List[str],
                          allow_other_backbone: bool = False) -> Runner:
    """The config's runner evaluating the prompt ensemble of ``files``.

    The ensemble is built first, so a run that does not fit (another
    prompt length, a backbone that differs) fails before the runner starts.

    Raises:
        SystemExit: With a one-line message naming the file and key.
    """
    try:
        ensemble = build_prompt_ensemble(
            cfg, files, allow_other_backbone=allow_other_backbone)
    except (CheckpointMismatchError, ValueError) as error:
        raise SystemExit(f'--prompt-ensemble: {error}') from error
    cfg.load_from = None
    runner = build_runner(cfg)
    # the runner built cfg.model (a single run, never loaded); it evaluates
    # the ensemble in its place, on its device and in its wrapper
    runner.model = runner.wrap_model(
        runner.cfg.get('model_wrapper_cfg'), ensemble)
    return runner


def main(argv=None) -> None:
    args = parse_args(argv)
    files = checkpoint_files(args)
    if args.tta and args.prompt_ensemble is not None:
        raise SystemExit('--tta: not with --prompt-ensemble (a test-time '
                         'augmented ensemble is not supported)')
    cfg = load_config(args)
    if args.out is not None:  # a pickle, or a folder of label maps
        check_out_file(args.out, folder=not pickles(cfg, args))
    if args.tta:
        use_tta(cfg)
    prepare_outputs(cfg, args)
    if args.prompt_ensemble is not None:
        runner = build_ensemble_runner(cfg, files,
                                       args.allow_other_backbone)
    elif files[0].endswith(DELTA_CONTAINER_SUFFIX):
        # the shared backbone from the config's init_cfg, then the delta;
        # strict: every trained key with its shape, and nothing else
        cfg.load_from = None
        runner = build_runner(cfg)
        model = tested_model(runner)
        model.init_weights()
        try:
            load_delta(model, files[0], args.allow_other_backbone)
        except (CheckpointMismatchError, UnreadableWeightsError) as error:
            raise SystemExit(f'checkpoint: {error}') from error
    else:
        cfg.load_from = files[0]
        runner = build_runner(cfg)
        # Strict: a checkpoint that does not fit the config (a missing key,
        # a prompt of another length) is an error here, not a warning.
        # (mmengine loads it into a TTA model's module.)
        try:  # an empty or truncated file: one line naming it
            runner.load_checkpoint(files[0], strict=True)
        except UnreadableWeightsError as error:
            raise SystemExit(f'checkpoint: {error}') from error
    add_prediction_dump(runner, cfg, args)
    metrics = runner.test()
    dump_metrics(metrics, cfg, args)
    if is_main_process():
        print({
            key: round(float(value), 4)
            for key, value in metrics.items()
        })
    close_distributed()


if __name__ == '__main__':
    main()
