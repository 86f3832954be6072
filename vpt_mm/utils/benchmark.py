"""The cost of VPT against full fine-tuning, as the paper's Tab. 12.

For every method (Full fine-tuning of mmpretrain's ``VisionTransformer``,
Linear = a frozen :class:`PromptedViT` with ``p=0``, the paper's other
baselines as the configs build them: Partial-1, Mlp-3, Sidetune, Bias and
Adapter with r = 8, 64, 256; VPT-shallow, VPT-deep in the token form and
VPT-deep in the key/value prefix form) and prompt length, a measurement
times a training step (forward, cross-entropy, backward, SGD step with
momentum over the trainable parameters) or an inference forward
(``torch.inference_mode``) on a classifier with a linear head (Mlp-3: its
MLP head), and records the peak memory.

Timing: ``warmup`` untimed iterations, then ``repeats`` timed ones, each
closed by ``torch.cuda.synchronize()`` on GPU; the latency is the median
iteration time divided by the batch (ms/img). On CUDA the step runs under
bf16 autocast; on CPU in fp32.

Memory: every measurement runs in a fresh Python process (``isolate``),
so that its high-water mark is its own. On CPU the peak is the process's
maximum resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``):
torch's CPU allocations are not seen by ``tracemalloc``, but they are
resident memory. Reported are the peak (interpreter, libraries, model,
input and everything the steps allocated) and the part of it above the
level reached after building the model, optimizer and input, just before
the first step (activations, gradients, optimizer state, workspaces). On
CUDA the same two numbers come from ``torch.cuda.max_memory_allocated`` and
``memory_allocated`` (tensors only, not the caching allocator's reserve).

Ratios are only ever taken between measurements of the same run: VPT and
Linear against Full of the same backbone, prefix against token at the same
prompt length. With ``rounds > 1`` the whole list of measurements runs
``rounds`` times in turn, every other round in reverse order (A B B A ...),
and each measurement's timed iterations from all rounds are pooled before
the median: slow drifts of a shared machine (other jobs, frequency
changes) then fall on every method alike instead of on whichever ran
during them. The peak memory is the
largest of the rounds.
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

METHODS = {
    'full': 'Full',
    'linear': 'Linear',
    'partial-1': 'Partial-1',
    'mlp-3': 'Mlp-3',
    'sidetune': 'Sidetune',
    'bias': 'Bias',
    'adapter-r8': 'Adapter (r=8)',
    'adapter-r64': 'Adapter (r=64)',
    'adapter-r256': 'Adapter (r=256)',
    'vpt-shallow': 'VPT-shallow',
    'vpt-deep-token': 'VPT-deep (token)',
    'vpt-deep-prefix': 'VPT-deep (prefix)',
}
PROMPTED = ('vpt-shallow', 'vpt-deep-token', 'vpt-deep-prefix')
PHASES = ('train', 'test')
# quick runs; other names are mmpretrain's ('b', 'base', 'l', ...)
ARCHS = {
    'tiny':
    dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
}
NUM_CLASSES = 100
RESULT_MARK = 'BENCHMARK_RESULT '


class Classifier(nn.Module):
    """Backbone and a head on its last output (the CLS token): a linear
    layer, or any module taking the backbone's tuple of outputs (Mlp-k)."""

    def __init__(self,
                 backbone: nn.Module,
                 num_classes: int,
                 head: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.head_takes_tuple = head is not None
        self.head = head or nn.Linear(backbone.embed_dims, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = self.backbone(x)
        return self.head(outs if self.head_takes_tuple else outs[-1])


def build_model(method: str,
                arch: str = 'b',
                img_size: int = 224,
                num_tokens: int = 0,
                patch_size: int = 16,
                num_classes: int = NUM_CLASSES) -> Classifier:
    """The classifier of ``method`` (a key of :data:`METHODS`); randomly
    initialised, as latency and memory do not depend on the weights. The
    baselines are the configs' structural wrappers (``vpt_mm.models.peft``)
    around mmpretrain's ``VisionTransformer`` and the ``MlpClsHead``."""
    from mmpretrain.models.backbones import VisionTransformer

    from vpt_mm.models.backbones import PromptedViT
    from vpt_mm.models.heads import MlpClsHead
    from vpt_mm.models.peft import (AdapterTuning, BiasTuning,
                                    PartialTuning, SideTuning)
    if method not in METHODS:
        raise ValueError(f'unknown method {method!r}; choose from '
                         f'{list(METHODS)}')
    common = dict(
        arch=ARCHS.get(arch, arch),
        img_size=img_size,
        patch_size=patch_size,
        out_type='cls_token')
    wrappers = {
        'partial-1': lambda m: PartialTuning(m, num_blocks=1),
        'sidetune': SideTuning,
        'bias': BiasTuning,
        'adapter-r8': lambda m: AdapterTuning(m, reduction=8),
        'adapter-r64': lambda m: AdapterTuning(m, reduction=64),
        'adapter-r256': lambda m: AdapterTuning(m, reduction=256),
    }
    if method == 'full':
        backbone = VisionTransformer(**common)
    elif method in wrappers:
        backbone = wrappers[method](VisionTransformer(**common))
    elif method == 'mlp-3':
        backbone = PromptedViT(**common)
        head = MlpClsHead(
            num_classes=num_classes,
            in_channels=backbone.embed_dims,
            num_layers=3)
        return Classifier(backbone, num_classes, head)
    else:
        if method != 'linear' and num_tokens <= 0:
            raise ValueError(f'{method} needs a prompt length > 0')
        backbone = PromptedViT(
            prompt_cfg=dict(
                num_tokens=0 if method == 'linear' else num_tokens,
                deep=method.startswith('vpt-deep'),
                deep_mode='prefix' if method.endswith('prefix') else 'token'),
            **common)
    return Classifier(backbone, num_classes)


def _resident_peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == 'darwin' else peak / 2**10


def measure(method: str,
            phase: str,
            arch: str = 'b',
            img_size: int = 224,
            batch: int = 8,
            num_tokens: int = 0,
            repeats: int = 10,
            warmup: int = 2,
            device: str = 'cpu',
            threads: Optional[int] = None,
            seed: int = 0) -> dict:
    """Time one method in one phase (``'train'`` or ``'test'``) in this
    process; see the module docstring for what is measured.

    Returns:
        dict: ``latency_ms`` (median ms/img), ``times_s`` (every timed
        iteration), ``peak_mb``, ``delta_mb`` (peak above the level before
        the first step), ``tuned_params`` and ``total_params``.
    """
    if phase not in PHASES:
        raise ValueError(f'phase must be one of {PHASES}, got {phase!r}')
    if repeats < 1 or warmup < 0:
        raise ValueError('repeats must be >= 1 and warmup >= 0')
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    dev = torch.device(device)
    cuda = dev.type == 'cuda'
    model = build_model(method, arch, img_size, num_tokens).to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    inputs = torch.randn(batch, 3, img_size, img_size, device=dev)
    labels = torch.randint(0, NUM_CLASSES, (batch, ), device=dev)

    def autocast():
        if cuda:
            return torch.autocast('cuda', dtype=torch.bfloat16)
        return contextlib.nullcontext()

    if phase == 'train':
        model.train()
        optimizer = torch.optim.SGD(
            params, lr=1e-3, momentum=0.9, weight_decay=1e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = F.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
    else:
        model.eval()

        def step():
            with torch.inference_mode(), autocast():
                model(inputs)

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats(dev)
        base_mb = torch.cuda.memory_allocated(dev) / 2**20
    else:
        base_mb = _resident_peak_mb()
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    if cuda:
        peak_mb = torch.cuda.max_memory_allocated(dev) / 2**20
    else:
        peak_mb = _resident_peak_mb()
    return dict(
        latency_ms=statistics.median(times) / batch * 1e3,
        times_s=times,
        peak_mb=peak_mb,
        delta_mb=peak_mb - base_mb,
        tuned_params=sum(p.numel() for p in params),
        total_params=sum(p.numel() for p in model.parameters()),
        threads=torch.get_num_threads())


def measure_isolated(spec: dict) -> dict:
    """:func:`measure` in a fresh interpreter (its own memory peak)."""
    proc = subprocess.run(
        [sys.executable, '-m', 'vpt_mm.utils.benchmark', '--worker',
         json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise RuntimeError(f'benchmark worker failed (exit {proc.returncode}) '
                       f'for {spec}:\n{proc.stderr[-3000:]}')


def run_benchmark(arch: str = 'b',
                  img_size: int = 224,
                  batch: int = 8,
                  prompt_lengths: Sequence[int] = (1, 10, 50, 100, 200),
                  repeats: int = 10,
                  warmup: int = 2,
                  devices: Sequence[str] = ('cpu', ),
                  methods: Sequence[str] = tuple(METHODS),
                  isolate: bool = True,
                  threads: Optional[int] = None,
                  rounds: int = 1,
                  log: Optional[Callable[[str], None]] = None) -> List[dict]:
    """Measure every (device, method, prompt length, phase).

    Full and Linear have no prompts and are measured once per device
    (``p=0``). Returns one dict per measurement: the :func:`measure`
    result plus ``device``, ``method``, ``p`` and ``rounds``; with
    ``rounds > 1`` the list runs that many times round-robin and each
    measurement pools its timed iterations over the rounds (see the module
    docstring).
    """
    if rounds < 1:
        raise ValueError(f'rounds must be >= 1, got {rounds}')
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f'unknown method(s) {unknown}; choose from '
                         f'{list(METHODS)}')
    specs = []
    for device in devices:
        for method in METHODS:  # fixed order: Full first
            if method not in methods:
                continue
            lengths = prompt_lengths if method in PROMPTED else (0, )
            for p in lengths:
                for phase in PHASES:
                    specs.append(
                        dict(
                            method=method,
                            phase=phase,
                            arch=arch,
                            img_size=img_size,
                            batch=batch,
                            num_tokens=p,
                            repeats=repeats,
                            warmup=warmup,
                            device=device,
                            threads=threads))
    pooled: Dict[tuple, dict] = {}
    for round_index in range(rounds):
        prefix = f'round {round_index + 1}/{rounds} ' if rounds > 1 else ''
        # A B B A: position effects cancel over rounds
        order = reversed(specs) if round_index % 2 else specs
        for spec in order:
            result = measure_isolated(spec) if isolate else measure(**spec)
            result.update(
                device=spec['device'], method=spec['method'],
                p=spec['num_tokens'], phase=spec['phase'])
            if log is not None:
                log(f'{prefix}[{spec["device"]}] {METHODS[spec["method"]]} '
                    f'p={spec["num_tokens"]} {spec["phase"]}: '
                    f'{result["latency_ms"]:.2f} ms/img, peak '
                    f'{result["peak_mb"]:.0f} MB (+{result["delta_mb"]:.0f})')
            key = (result['device'], result['method'], result['p'],
                   result['phase'])
            if key not in pooled:
                pooled[key] = dict(result, rounds=1)
                continue
            merged = pooled[key]
            merged['times_s'] = merged['times_s'] + result['times_s']
            merged['latency_ms'] = (
                statistics.median(merged['times_s']) / batch * 1e3)
            if result['peak_mb'] > merged['peak_mb']:
                merged.update(
                    peak_mb=result['peak_mb'], delta_mb=result['delta_mb'])
            merged['rounds'] += 1
    return list(pooled.values())


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.lower().startswith('model name'):
                    return line.split(':', 1)[1].strip()
    return platform.processor() or platform.machine()


def environment(devices: Sequence[str]) -> Dict[str, str]:
    """The machine and the library versions, for the report."""
    import mmcv
    import mmengine
    import mmpretrain
    env = {
        'CPU':
        f'{_cpu_name()} ({os.cpu_count()} logical cores, '
        f'{torch.get_num_threads()} torch threads)',
    }
    if any(torch.device(d).type == 'cuda' for d in devices):
        env['GPU'] = torch.cuda.get_device_name(0)
    env.update({
        'OS': platform.platform(),
        'Python': platform.python_version(),
        'torch': torch.__version__,
        'mmpretrain': mmpretrain.__version__,
        'mmengine': mmengine.__version__,
        'mmcv': mmcv.__version__,
    })
    return env


def _index(results: List[dict]) -> Dict[tuple, dict]:
    return {(r['device'], r['method'], r['p'], r['phase']): r
            for r in results}


def _ratio(num: Optional[dict], den: Optional[dict], key: str) -> str:
    if num is None or den is None or den[key] <= 0:
        return '—'
    return f'{num[key] / den[key]:.2f}×'


def _memory(result: Optional[dict]) -> str:
    if result is None:
        return '—'
    return f'{result["peak_mb"]:.0f} (+{result["delta_mb"]:.0f})'


def format_tables(results: List[dict]) -> str:
    """Markdown: per device, a Tab. 12 style table (ratios against Full)
    and, where both forms were measured, VPT-deep prefix vs token."""
    index = _index(results)
    lines = []
    for device in dict.fromkeys(r['device'] for r in results):
        lines += [
            f'### {device}', '',
            '| Method | p | Tuned params | Train latency (ms/img) | '
            'Train peak memory (MB) | Test latency (ms/img) | '
            'Test peak memory (MB) | Train latency vs Full | '
            'Test latency vs Full |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
        ]
        rows = dict.fromkeys(
            (r['method'], r['p']) for r in results if r['device'] == device)
        for method, p in rows:
            train = index.get((device, method, p, 'train'))
            test = index.get((device, method, p, 'test'))
            full_train = index.get((device, 'full', 0, 'train'))
            full_test = index.get((device, 'full', 0, 'test'))
            any_result = train or test
            tuned = 100 * any_result['tuned_params'] / \
                any_result['total_params']
            lines.append(
                f'| {METHODS[method]} | {p if p else "—"} | {tuned:.2f}% | '
                + ' | '.join([
                    f'{train["latency_ms"]:.2f}' if train else '—',
                    _memory(train),
                    f'{test["latency_ms"]:.2f}' if test else '—',
                    _memory(test),
                    _ratio(train, full_train, 'latency_ms'),
                    _ratio(test, full_test, 'latency_ms'),
                ]) + ' |')
        lines.append('')
        lengths = sorted(
            {p
             for (d, m, p, _) in index
             if d == device and m == 'vpt-deep-prefix'} & {
                 p
                 for (d, m, p, _) in index
                 if d == device and m == 'vpt-deep-token'})
        if lengths:
            lines += [
                f'VPT-deep, prefix vs token form ({device}): speed-up = '
                'token latency / prefix latency; memory ratio = prefix / '
                'token of the memory above the loaded model.', '',
                '| p | Train token (ms/img) | Train prefix (ms/img) | '
                'Train speed-up | Train memory token → prefix (MB) | '
                'Train memory ratio | Test token (ms/img) | '
                'Test prefix (ms/img) | Test speed-up | '
                'Test memory token → prefix (MB) | Test memory ratio |',
                '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
            ]
            for p in lengths:
                cells = [str(p)]
                for phase in PHASES:
                    token = index.get((device, 'vpt-deep-token', p, phase))
                    prefix = index.get((device, 'vpt-deep-prefix', p, phase))
                    if token is None or prefix is None:
                        cells += ['—'] * 5
                        continue
                    cells += [
                        f'{token["latency_ms"]:.2f}',
                        f'{prefix["latency_ms"]:.2f}',
                        _ratio(token, prefix, 'latency_ms'),
                        f'{token["peak_mb"]:.0f} → {prefix["peak_mb"]:.0f}',
                        _ratio(prefix, token, 'delta_mb'),
                    ]
                lines.append('| ' + ' | '.join(cells) + ' |')
            lines.append('')
    return '\n'.join(lines)


def format_report(results: List[dict], env: Dict[str, str],
                  settings: Dict[str, object]) -> str:
    """The whole markdown report: machine, versions, settings, tables."""
    lines = ["# VPT cost benchmark (cf. the paper's Tab. 12, Figs. 18-19)",
             '']
    lines += [f'- **{key}**: {value}' for key, value in env.items()]
    lines += [f'- **{key}**: {value}' for key, value in settings.items()]
    lines += [
        '', 'Latency: median over the timed repeats, per image. Memory: '
        'peak (and, in brackets, the part above the level reached after '
        'building the model, optimizer and input); on CPU the maximum '
        'resident set size of a fresh process per measurement, on CUDA '
        "torch's peak allocated memory. Train = forward + loss + backward "
        '+ SGD step; test = forward under inference mode.', '',
        format_tables(results)
    ]
    return '\n'.join(lines)


def plot_results(results: List[dict], path: str) -> None:
    """Latency and peak memory against p (cf. Figs. 18-19), Full and
    Linear as horizontal lines; one row of plots per device and phase."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    index = _index(results)
    devices = list(dict.fromkeys(r['device'] for r in results))
    fig, axes = plt.subplots(
        len(devices) * 2, 2, figsize=(10, 4 * 2 * len(devices)),
        squeeze=False)
    for row, (device, phase) in enumerate(
            (d, ph) for d in devices for ph in PHASES):
        for col, (key, label) in enumerate(
            (('latency_ms', 'latency (ms/img)'), ('peak_mb',
                                                  'peak memory (MB)'))):
            ax = axes[row][col]
            for method in PROMPTED:
                points = sorted((p, r[key])
                                for (d, m, p, ph), r in index.items()
                                if (d, m, ph) == (device, method, phase))
                if points:
                    ax.plot(*zip(*points), marker='o', label=METHODS[method])
            for method, style in (('full', '--'), ('linear', ':')):
                ref = index.get((device, method, 0, phase))
                if ref is not None:
                    ax.axhline(ref[key], color='gray', linestyle=style,
                               label=METHODS[method])
            ax.set_xlabel('prompt length p')
            ax.set_ylabel(label)
            ax.set_title(f'{device}, {phase}')
            ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
    parser.add_argument('--threads', type=int,
                        help="torch CPU threads (default: torch's own)")
    parser.add_argument('--no-isolate', action='store_true',
                        help='measure in this process (faster; CPU peak '
                        'memory then is not per measurement)')
    parser.add_argument('--out', help='write the markdown report here')
    parser.add_argument('--json', help='write every measurement here')
    parser.add_argument('--plot', help='save latency/memory vs p plots '
                        '(matplotlib) here')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    if args.worker:
        result = measure(**json.loads(args.worker))
        print(RESULT_MARK + json.dumps(result), flush=True)
        return ''
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
    report = format_report(results, environment(devices), settings)
    print(report)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(report + '\n')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    if args.plot:
        plot_results(results, args.plot)
    return report


if __name__ == '__main__':
    main()
