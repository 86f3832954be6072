"""The cost of serving many tasks on one frozen backbone.

- :func:`mixed_vs_single`: images per second of a mixed batch of T tasks
  (:class:`~vpt_mm.models.multitask.MultiTaskClassifier`, one backbone
  forward) against the single-task model on a batch of the same size, in
  the same process, interleaved (so a loaded machine slows both alike).
- :func:`task_memory`: the bytes of the weights of N tasks served on one
  backbone against N single-task models, and the process's resident
  memory as tasks are added.
- :func:`http_load`: a bounded local client (a fixed number of requests,
  a fixed concurrency) against a running server: requests per second and
  the p50 / p99 latency.
- :func:`format_serving_report` and :func:`plot_serving`: the Markdown
  tables and the figure of ``docs/serving.md``.

The tasks are VPT-deep with 8 prompt tokens (the demo's), with random
prompts and heads (:mod:`vpt_mm.models.multitask.synthetic`): timing does
not depend on the values.
"""
import json
import statistics
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from vpt_mm.checkpoint.delta import read_delta
from vpt_mm.models.delta import load_delta
from vpt_mm.models.multitask import MultiTaskClassifier, task_config
from vpt_mm.models.multitask.model import _build
from vpt_mm.models.multitask.synthetic import write_synthetic_tasks

#: The served tasks' prompts: VPT-deep, the demo's length.
TASK_PROMPT = dict(num_tokens=8, deep=True, dropout=0.1)


def write_tasks(work_dir: str, vit: Mapping,
                count: int) -> Tuple[object, Dict[str, str]]:
    """``count`` VPT-deep tasks on one random backbone (files)."""
    return write_synthetic_tasks(
        work_dir, {f'task{i:02d}': TASK_PROMPT for i in range(count)}, vit)


def _paired_seconds(first, second, repeats: int,
                    warmup: int) -> Tuple[List[float], List[float]]:
    """The seconds of ``first()`` and ``second()``, run in turn
    ``repeats`` times (after ``warmup`` untimed turns): a drift of a
    shared machine hits both alike."""
    for _ in range(warmup):
        first()
        second()
    times: Tuple[List[float], List[float]] = ([], [])
    for _ in range(repeats):
        for fn, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def single_task_model(delta_file: str) -> torch.nn.Module:
    """A task's own model: its config, the pretrained backbone, its
    delta."""
    _, meta = read_delta(delta_file)
    model = _build(task_config(meta, delta_file))
    model.init_weights()
    load_delta(model, delta_file)
    return model.eval()


@torch.no_grad()
def mixed_vs_single(base, files: Mapping[str, str], vit: Mapping,
                    task_counts: Sequence[int] = (1, 4, 16),
                    batch: int = 32, repeats: int = 5,
                    warmup: int = 1) -> List[dict]:
    """Images per second, mixed batch of T tasks against one task's model.

    Args:
        base: The base config (the backbone).
        files: ``{task: delta}`` (at least ``max(task_counts)``).
        vit: The backbone's settings (``img_size``, ``in_channels``).
        task_counts: The T to measure.
        batch: Images per batch (both sides).
        repeats: Timed iterations of each side, in turn.
        warmup: Untimed iterations of each side first.

    Returns:
        list[dict]: Per T: ``tasks``, ``batch``, ``mixed_img_s``,
        ``single_img_s`` (from the median times), ``ratio`` (mixed /
        single: the median of the ratios of neighbouring runs).
    """
    names = list(files)
    single = single_task_model(files[names[0]])
    model = MultiTaskClassifier(base)
    torch.manual_seed(0)
    size = vit['img_size']
    inputs = torch.randn(batch, vit.get('in_channels', 3), size, size)
    rows = []
    for count in task_counts:
        for name in names[:count]:
            if name not in model.tasks:
                model.add_task(name, files[name])
        tasks = [names[i % count] for i in range(batch)]
        mixed_s, single_s = _paired_seconds(
            lambda: model(inputs, tasks),
            lambda: single(inputs, mode='tensor'), repeats, warmup)
        rows.append(dict(
            tasks=count, batch=batch,
            mixed_img_s=batch / statistics.median(mixed_s),
            single_img_s=batch / statistics.median(single_s),
            # the median of the ratios of neighbouring runs
            ratio=statistics.median(
                s / m for m, s in zip(mixed_s, single_s))))
    return rows


def _bytes(module: torch.nn.Module) -> int:
    tensors = list(module.parameters()) + list(module.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def _rss() -> int:
    """The process's resident memory in bytes (Linux), 0 elsewhere."""
    try:
        with open('/proc/self/statm') as file:
            pages = int(file.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    import os
    return pages * os.sysconf('SC_PAGE_SIZE')


def task_memory(base, files: Mapping[str, str],
                task_counts: Sequence[int] = (1, 4, 16)) -> List[dict]:
    """The weights of N tasks on one backbone against N task models.

    Returns:
        list[dict]: Per N: ``tasks``, ``served_mb`` (backbone + N deltas,
        counted), ``separate_mb`` (N single-task models, counted),
        ``delta_mb`` (one task), ``rss_growth_mb`` (resident memory
        added by the N tasks, measured).
    """
    names = list(files)
    model = MultiTaskClassifier(base)
    one = single_task_model(files[names[0]])
    start = _rss()
    rows = []
    for count in task_counts:
        for name in names[:count]:
            if name not in model.tasks:
                model.add_task(name, files[name])
        task = model.tasks[names[0]]
        rows.append(dict(
            tasks=count,
            backbone_mb=_bytes(model.backbone) / 2**20,
            delta_mb=_bytes(task) / 2**20,
            served_mb=_bytes(model) / 2**20,
            separate_mb=count * _bytes(one) / 2**20,
            rss_growth_mb=(_rss() - start) / 2**20))
    return rows


def http_load(url: str, jobs: Sequence[Tuple[str, bytes]],
              concurrency: int = 8, timeout: float = 120.) -> dict:
    """Send every ``(task, image bytes)`` of ``jobs`` once, ``concurrency``
    at a time, to ``url`` (a running server).

    Returns:
        dict: ``requests``, ``concurrency``, ``errors``, ``req_s``,
        ``p50_ms``, ``p99_ms``.
    """

    def post(job: Tuple[str, bytes]) -> Tuple[float, bool]:
        task, data = job
        start = time.perf_counter()
        request = urllib.request.Request(f'{url}/tasks/{task}/predict', data)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                ok = reply.status == 200 and 'scores' in json.loads(
                    reply.read())
        except (urllib.error.URLError, OSError, ValueError):
            ok = False
        return time.perf_counter() - start, ok

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(post, jobs))
    wall = time.perf_counter() - start
    latencies = sorted(seconds for seconds, _ in answers)

    def percentile(q: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1,
                                    int(q * len(latencies)))]

    return dict(requests=len(jobs), concurrency=concurrency,
                errors=sum(not ok for _, ok in answers),
                req_s=len(jobs) / wall, p50_ms=percentile(0.5),
                p99_ms=percentile(0.99))


def format_serving_report(results: Mapping[str, Mapping],
                          machine: Optional[Mapping] = None) -> str:
    """Markdown tables of ``{model name: {'mixed': rows, 'memory': rows,
    'server': [dicts]}}`` and the machine."""
    lines = []
    for name, result in results.items():
        lines += [f'### {name}', '',
                  '| tasks T | batch | mixed (img/s) | single-task (img/s) '
                  '| mixed / single |', '| ---: | ---: | ---: | ---: | ---: |']
        for row in result.get('mixed', []):
            lines.append(
                f"| {row['tasks']} | {row['batch']} | "
                f"{row['mixed_img_s']:.1f} | {row['single_img_s']:.1f} | "
                f"{row['ratio']:.2f}x |")
        if result.get('memory'):
            lines += ['', '| tasks N | backbone + N deltas (MB) | '
                      'N task models (MB) | one delta (MB) | '
                      'resident memory added (MB) |',
                      '| ---: | ---: | ---: | ---: | ---: |']
            for row in result['memory']:
                lines.append(
                    f"| {row['tasks']} | {row['served_mb']:.2f} | "
                    f"{row['separate_mb']:.2f} | {row['delta_mb']:.3f} | "
                    f"{row['rss_growth_mb']:.1f} |")
        if result.get('server'):
            lines += ['', '| requests | concurrency | tasks | errors | '
                      'req/s | p50 (ms) | p99 (ms) |',
                      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
            for row in result['server']:
                lines.append(
                    f"| {row['requests']} | {row['concurrency']} | "
                    f"{row.get('tasks', '')} | {row['errors']} | "
                    f"{row['req_s']:.1f} | {row['p50_ms']:.0f} | "
                    f"{row['p99_ms']:.0f} |")
        lines.append('')
    if machine:
        lines += ['| machine | |', '| --- | --- |']
        lines += [f'| {key} | {value} |' for key, value in machine.items()]
    return '\n'.join(lines)


def plot_serving(results: Mapping[str, Mapping], path: str) -> None:
    """Mixed / single-task throughput against T, one line per model."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(5, 3.2))
    for name, result in results.items():
        rows = result.get('mixed', [])
        axis.plot([r['tasks'] for r in rows], [r['ratio'] for r in rows],
                  marker='o', label=name)
    axis.axhline(0.9, color='grey', linestyle='--', label='goal 0.9x')
    axis.set_xscale('log', base=2)
    axis.set_xlabel('tasks T in one batch')
    axis.set_ylabel('mixed / single-task (img/s)')
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
