"""Command-line plumbing shared by ``tools/train.py`` and ``tools/test.py``."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..compat.cpu_ddp import setup_cpu_distributed
from ..engine.hooks import feature_cache_hook
from ..engine.runner import ResumableRunner
from .gpu import compile_backbone
from ..resolve import resolve_config
from .consistency import check_num_classes


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs, e.g. '
        'model.backbone.prompt_cfg.num_tokens=50')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torchrun passes --local-rank; torch.distributed.launch --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """Read ``args.config`` and apply the common arguments to it; the
    top-level task variables and the training length are carried into the
    dicts using them (:func:`vpt_mm.resolve.resolve_config`) after the file
    and again after ``--cfg-options``; the head's ``num_classes`` is
    checked against the datasets'
    (:func:`vpt_mm.apis.consistency.check_num_classes`)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    resolve_config(cfg)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
        resolve_config(cfg, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    check_num_classes(cfg)  # one line now, not an IndexError at step 1
    return cfg


def close_distributed() -> None:
    """Leave the process group, if this process joined one, once every
    rank has got here.

    Call it when a run has finished. A group left for the interpreter's
    exit to tear down can abort a process that has finished its work: gloo's
    worker threads can outlive the interpreter, and the process dies with
    SIGABRT ('terminate called without an active exception'), so the
    launcher reports a failed run. Does nothing outside a distributed run.
    """
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    dist.destroy_process_group()


def build_runner(cfg: Config) -> Runner:
    """Build the config's runner, after the CPU distributed set-up: its
    ``runner_type``, or :class:`vpt_mm.engine.runner.ResumableRunner`
    (strict loading, reproducible resume, atomic checkpoints), with the
    frozen-feature cache where the config asks for it."""
    setup_cpu_distributed(cfg, cfg.launcher)
    cache_hook = feature_cache_hook(cfg)
    if cache_hook is not None:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), cache_hook]
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        ResumableRunner.from_cfg(cfg)
    if cfg.get('compile_backbone'):
        compile_backbone(runner.model)
    return runner
