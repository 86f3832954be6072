"""Latency and peak memory of Full, Linear, VPT-shallow and VPT-deep (token
and key/value-prefix forms), as the paper's Tab. 12 and Figs. 18-19.

Each measurement runs in a fresh process; see :mod:`vpt_mm.benchmark` for
what is timed and how memory is read.

Examples:
    python tools/analysis/benchmark.py --arch tiny --img-size 32 \
        --prompt-lengths 1 4 --repeats 2
    python tools/analysis/benchmark.py --batch 4 --repeats 5 \
        --prompt-lengths 1 200 --methods full vpt-deep-token \
        vpt-deep-prefix --device cpu --out docs/benchmark_cpu.md
    python tools/analysis/benchmark.py --device cuda --batch 64 \
        --plot work_dirs/benchmark.png --out work_dirs/benchmark.md
    # serving: mixed-task batches, memory of N tasks, server req/s
    python tools/analysis/benchmark.py --serving demo-tiny vit-b16 \
        --batch 16 --repeats 2 --out docs/serving_results.md \
        --plot docs/serving.png
"""
import argparse
import datetime
import json
import os
import sys
from typing import List, Optional

import torch

from vpt_mm.benchmark import (ARCHS, METHODS, environment, format_report,
                              plot_results, run_benchmark)
from vpt_mm.benchmark.bound import format_bound_table
from vpt_mm.benchmark.paired import paired_step_ratios
from vpt_mm.benchmark.worker import work


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Latency and peak memory of Full, Linear, VPT-shallow '
        "and VPT-deep (token and prefix forms), as the paper's Tab. 12.")
    parser.add_argument('--arch', default='b',
                        help=f'mmpretrain ViT arch or one of {list(ARCHS)}')
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--prompt-lengths', type=int, nargs='+',
                        default=[1, 10, 50, 100, 200])
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        default=list(METHODS))
    parser.add_argument('--repeats', type=int, default=10,
                        help='timed iterations (the median is reported)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed iterations before the timed ones')
    parser.add_argument('--device', nargs='+', default=['auto'],
                        help="'cpu', 'cuda[:i]' or 'auto' (cuda if "
                        'available, else cpu); several run in turn')
    parser.add_argument('--rounds', type=int, default=1,
                        help='run every measurement this many times in '
                        'turn and pool their timed iterations (evens out '
                        'drifts of a shared machine)')
    parser.add_argument('--paired-rounds', type=int, default=0,
                        help='also time Full and VPT-deep training steps '
                        'in pairs in one process, this many rounds '
                        '(CPU; the bound table adds their ratio, which '
                        "the machine's drifts do not move)")
    parser.add_argument('--threads', type=int,
                        help="torch CPU threads (default: torch's own)")
    parser.add_argument('--no-isolate', action='store_true',
                        help='measure in this process (faster; CPU peak '
                        'memory then is not per measurement)')
    parser.add_argument('--out', help='write the markdown report here')
    parser.add_argument('--json', help='write every measurement here')
    parser.add_argument('--plot', help='save latency/memory vs p plots '
                        '(matplotlib) here')
    parser.add_argument(
        '--serving', nargs='+', metavar='BACKBONE',
        help='instead: the serving benchmark (docs/serving.md) on these '
        'backbones (demo-tiny, tiny, vit-b16): mixed-task against '
        'single-task batches for T = 1, 4, 16, memory of N tasks, server '
        'req/s and p50/p99 latency')
    parser.add_argument('--requests', type=int, default=64,
                        help='--serving: requests per client load')
    parser.add_argument('--work-dir', default='work_dirs/serving_benchmark',
                        help='--serving: where the task deltas are written')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    if args.worker:  # kept; the isolated children call worker.work itself
        work(args.worker)
        return ''
    if args.serving:
        return serving(args)
    devices = []
    for device in args.device:
        if device == 'auto':
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        devices.append(device)
    results = run_benchmark(
        arch=args.arch,
        img_size=args.img_size,
        batch=args.batch,
        prompt_lengths=args.prompt_lengths,
        repeats=args.repeats,
        warmup=args.warmup,
        devices=devices,
        methods=args.methods,
        isolate=not args.no_isolate,
        threads=args.threads,
        rounds=args.rounds,
        log=lambda msg: print(msg, file=sys.stderr, flush=True))
    settings = {
        'Date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'Arch': args.arch,
        'Image size': args.img_size,
        'Batch': args.batch,
        'Repeats (timed)': args.repeats,
        'Rounds (round-robin, timings pooled)': args.rounds,
        'Warm-up': args.warmup,
        'Precision': 'fp32 on CPU, bf16 autocast on CUDA',
        'Torch CPU threads per measurement': results[0]['threads']
        if results else '—',
        'Isolated process per measurement': not args.no_isolate,
    }
    paired = None
    if args.paired_rounds and 'cpu' in devices:
        paired = paired_step_ratios(
            [(method, p) for method in args.methods
             if method.startswith('vpt-deep') for p in args.prompt_lengths],
            args.arch, args.img_size, args.batch, args.paired_rounds,
            args.warmup, args.threads,
            log=lambda msg: print(msg, file=sys.stderr, flush=True))
        settings['Paired rounds (CPU)'] = args.paired_rounds
    report = format_report(results, environment(devices), settings)
    report += '\n\n' + format_bound_table(results, paired).rstrip()
    return write_outputs(args, report, results, plot_results)


def serving(args: argparse.Namespace) -> str:
    """The serving benchmark (:mod:`vpt_mm.serving.benchmark`)."""
    from vpt_mm.benchmark.serving import (format_serving_report,
                                          plot_serving)
    from vpt_mm.serving.benchmark import run_serving_benchmark
    if args.threads:
        torch.set_num_threads(args.threads)
    results = run_serving_benchmark(
        args.work_dir, args.serving, batch=args.batch,
        repeats=args.repeats, warmup=min(args.warmup, 1),
        requests=args.requests,
        log=lambda msg: print(msg, file=sys.stderr, flush=True))
    machine = dict(environment(['cpu']), Date=datetime.datetime.now(
    ).strftime('%Y-%m-%d %H:%M'), Batch=args.batch, Repeats=args.repeats,
                   **{'Load average (1 min, at the end)':
                      '%.1f' % os.getloadavg()[0]})
    report = format_serving_report(results, machine)
    return write_outputs(args, report, results, plot_serving)


def write_outputs(args: argparse.Namespace, report: str, results,
                  plot) -> str:
    """Print ``report``; write it to ``--out``, ``results`` to ``--json``
    and ``plot(results, path)`` to ``--plot`` where given."""
    print(report)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(report + '\n')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    if args.plot:
        plot(results, args.plot)
    return report


if __name__ == '__main__':
    main()
