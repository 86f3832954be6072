"""The paper's tuning protocol for task configs: grid search, then seeds.

For each config: every base lr x weight decay of the grid (x prompt
length, when the config's ``sweep_grid`` has ``num_tokens`` or
``--num-tokens`` is given) trains on the
protocol's tuning split (VTAB train800, FGVC train) and is scored on val
(val200 / val); the best setting re-runs with 5 seeds on train800val200
(train+val) and is scored on test (last-epoch top-1, mean and std). Each
run is a ``tools/train.py`` run in a resident worker process (one per job,
for the whole sweep: no Python and library start-up per run;
``--fresh-processes``: a process per run; ``tools/dist_train.sh`` with
``--gpus``), ``--jobs N`` of them at a time; finished runs are skipped,
so a killed sweep continues where it stopped. SIGTERM (Slurm, ``timeout``)
stops the sweep and its runs (exit status 143); a run dir or task dir held
by another process is refused with its pid.

Examples:
    python tools/sweep.py CONFIG --dry-run
    python tools/sweep.py CONFIG1 CONFIG2 --work-dir work_dirs/sweep/vpt-deep
    python tools/sweep.py CONFIG --gpus 4 --keep-going --cfg-options a.b=1
    python tools/sweep.py CONFIG --jobs 8 --gpus 1   # 8 runs on 8 GPUs
    python tools/sweep.py CONFIG --num-tokens 1 5 10 50 --dry-run
    python tools/sweep.py --aggregate work_dirs/sweep/vpt-deep
        work_dirs/sweep/linear --method-name VPT-deep Linear
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from vpt_mm.sweep import (METRIC, Launcher, SweepError, cuda_devices,
                          load_task, run_sweep, write_summary)
from vpt_mm.sweep.processes import SweepInterrupted, stop_on_signals
from vpt_mm.sweep.workers import ResidentWorkers

TOOLS_DIR = osp.dirname(osp.abspath(__file__))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Grid search on val, then seeds on test (the paper's "
        'protocol). Put --cfg-options last.')
    parser.add_argument('configs', nargs='*', metavar='CONFIG',
                        help='task configs (with protocol, task_name, '
                        'benchmark and sweep_grid)')
    parser.add_argument('--work-dir', default='work_dirs/sweep',
                        help='sweep dir, one per method; runs go to '
                        '<work-dir>/<task>/<tune|final>/<run>')
    parser.add_argument('--lrs', nargs='+', type=float,
                        help='base lrs (default: sweep_grid.base_lr)')
    parser.add_argument('--wds', nargs='+', type=float,
                        help='weight decays (default: '
                        'sweep_grid.weight_decay)')
    parser.add_argument('--num-tokens', nargs='+', type=int,
                        metavar='P',
                        help='prompt lengths to search as a third axis '
                        '(model.backbone.prompt_cfg.num_tokens; default: '
                        'sweep_grid.num_tokens if the config has it, else '
                        "the config's own p, not searched)")
    parser.add_argument('--seeds', nargs='+', type=int,
                        help='seeds of the final runs (default: 0 .. '
                        'num-seeds - 1)')
    parser.add_argument('--num-seeds', type=int, default=5,
                        help='number of final seeds (default 5)')
    parser.add_argument('--tune-seeds', nargs='+', type=int, default=[0],
                        help='seeds of each grid point; the mean val top-1 '
                        'over them selects (default: 0)')
    parser.add_argument('--gpus', type=int,
                        help='run each run with `bash tools/dist_train.sh '
                        'CONFIG GPUS` (PORT, NNODES... as that script reads '
                        'them)')
    parser.add_argument('--jobs', '-j', type=int, default=1,
                        help='runs at a time within a phase (default 1); '
                        'each gets its share of the CPU cores '
                        '(OMP_NUM_THREADS, unless set), its own GPU(s) '
                        'from CUDA_VISIBLE_DEVICES or those torch sees '
                        '(--gpus each, or one each, round robin) and with '
                        '--gpus its own PORT')
    parser.add_argument('--fresh-processes', action='store_true',
                        help='start a fresh tools/train.py process for '
                        'every run (default: single-process runs go to '
                        'resident workers, one per job, which skip the '
                        'interpreter and library start-up of each run)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the plan and commands; run nothing')
    parser.add_argument('--keep-going', action='store_true',
                        help='after a failed run go on with the others '
                        '(still exit non-zero)')
    parser.add_argument('--keep-checkpoints', default='final',
                        choices=['all', 'final', 'none'],
                        help='checkpoints (and their deltas) kept after a '
                        'run is scored (default: those of the final runs)')
    parser.add_argument('--no-resume', action='store_true',
                        help='run killed runs from the start, not from '
                        'their latest checkpoint')
    parser.add_argument('--keep-val-interval', action='store_true',
                        help="keep the config's train_cfg.val_interval "
                        '(default: validate only at the last epoch)')
    parser.add_argument('--metric', default=METRIC,
                        help=f'validation metric to read (default {METRIC})')
    parser.add_argument('--verbose', '-v', action='store_true',
                        help='echo the training output (always in '
                        '<run dir>/sweep.log)')
    parser.add_argument('--aggregate', nargs='+', metavar='SWEEP_DIR',
                        help='write summary.md / summary.csv of these sweep '
                        'dirs (one row each) and exit')
    parser.add_argument('--method-name', nargs='+',
                        help='row label(s): one per --aggregate dir, or one '
                        'for this sweep (default: the dir name)')
    parser.add_argument('--summary-dir',
                        help='where --aggregate writes (default: the sweep '
                        'dir, or the common parent of several)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='passed to every run (and read here)')
    args = parser.parse_args(argv)
    if bool(args.configs) == bool(args.aggregate):
        parser.error('give CONFIG(s) to sweep, or --aggregate SWEEP_DIR(s)')
    if args.aggregate and args.method_name and len(args.method_name) != len(
            args.aggregate):
        parser.error(f'--method-name: {len(args.method_name)} names for '
                     f'{len(args.aggregate)} --aggregate dirs')
    if args.configs and args.method_name and len(args.method_name) != 1:
        parser.error('--method-name: one name for a sweep')
    if args.num_seeds < 1:
        parser.error('--num-seeds must be at least 1')
    if args.gpus is not None and args.gpus < 1:
        parser.error('--gpus must be at least 1')
    if args.jobs < 1:
        parser.error('--jobs must be at least 1')
    return args


def aggregate(dirs: List[str], names: Optional[List[str]],
              out_dir: Optional[str]) -> None:
    dirs = [osp.normpath(path) for path in dirs]
    names = names or [osp.basename(osp.abspath(path)) for path in dirs]
    if out_dir is None:
        out_dir = dirs[0] if len(dirs) == 1 else osp.commonpath(
            [osp.abspath(path) for path in dirs])
    md_path, csv_path = write_summary(list(zip(names, dirs)), out_dir)
    print(f'summary -> {md_path}, {csv_path}')


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    with stop_on_signals():
        return run(args)


def run(args: argparse.Namespace) -> int:
    try:
        if args.aggregate:
            aggregate(args.aggregate, args.method_name, args.summary_dir)
            return 0
        seeds = args.seeds or list(range(args.num_seeds))
        specs = [
            load_task(config, args.work_dir, args.cfg_options, lrs=args.lrs,
                      wds=args.wds, seeds=seeds, tune_seeds=args.tune_seeds,
                      val_interval=not args.keep_val_interval,
                      num_tokens=args.num_tokens)
            for config in args.configs
        ]
        devices = cuda_devices() if args.jobs > 1 else None
        launcher = Launcher(TOOLS_DIR, gpus=args.gpus,
                            resume=not args.no_resume, verbose=args.verbose,
                            jobs=args.jobs, devices=devices)
        with ResidentWorkers(launcher) as workers:
            stats = run_sweep(
                specs, launcher, dry_run=args.dry_run,
                keep_going=args.keep_going,
                keep_checkpoints=args.keep_checkpoints, metric=args.metric,
                execute=launcher if args.fresh_processes else workers)
        if args.dry_run:
            print('dry run: nothing was run or written')
            return 0
        if osp.isdir(args.work_dir):
            aggregate([args.work_dir], args.method_name, args.summary_dir)
    except SweepError as error:
        print(f'sweep: {error}', file=sys.stderr)
        return 2
    except OSError as error:  # a sweep dir that cannot be written...
        print(f'sweep: {error.strerror}: {error.filename}', file=sys.stderr)
        return 2
    except SweepInterrupted as stop:
        print(f'sweep: stopped by {stop}; the runs going on were stopped. '
              'Run the same command again to continue.', file=sys.stderr)
        return 128 + stop.signum
    print(f'runs: {stats.trained} trained, {stats.skipped} skipped (already '
          f'finished), {len(stats.failed)} failed; tasks complete: '
          f'{", ".join(stats.complete) or "none"}')
    if stats.failed:
        print('failed runs:\n' + ''.join(f'  {label}\n'
                                         for label in stats.failed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
