"""The serving benchmark end to end (``tools/analysis/benchmark.py
--serving``): per backbone, mixed against single-task batches, the memory
of N tasks (:mod:`vpt_mm.benchmark.serving`), and requests per second with
p50 / p99 latency of a server on 127.0.0.1 under a bounded local client.
"""
import os.path as osp
from typing import Callable, Dict, Sequence

import cv2
import numpy as np

from vpt_mm.benchmark.serving import (http_load, mixed_vs_single,
                                      task_memory, write_tasks)
from vpt_mm.models.multitask import MultiTaskClassifier
from vpt_mm.models.multitask.synthetic import DEMO_VIT, TINY_VIT, VIT_B16
from .app import create_app
from .images import ImageDecoder
from .server import BackgroundServer

#: The backbones by name.
BACKBONES = {'demo-tiny': DEMO_VIT, 'tiny': TINY_VIT, 'vit-b16': VIT_B16}


def server_load(base, files: Dict[str, str], vit: dict, requests: int,
                concurrency: Sequence[int], max_batch: int,
                max_wait: float) -> list:
    """Serve every task of ``files`` and send ``requests`` requests (the
    tasks in turn, one PNG image) at each concurrency."""
    model = MultiTaskClassifier(base)
    for name, path in files.items():
        model.add_task(name, path)
    size, channels = vit['img_size'], vit.get('in_channels', 3)
    image = np.random.RandomState(0).randint(
        0, 256, (size, size) + ((3, ) if channels == 3 else ()),
        dtype=np.uint8)
    data = cv2.imencode('.png', image)[1].tobytes()
    names = list(files)
    jobs = [(names[i % len(names)], data) for i in range(requests)]
    app = create_app(model, ImageDecoder(base), max_batch, max_wait)
    rows = []
    with BackgroundServer(app) as server:
        http_load(server.url, jobs[:max(concurrency)], max(concurrency))
        for jobs_at_once in concurrency:
            row = http_load(server.url, jobs, jobs_at_once)
            row['tasks'] = len(names)
            rows.append(row)
    return rows


def run_serving_benchmark(work_dir: str,
                          backbones: Sequence[str] = ('demo-tiny', ),
                          task_counts: Sequence[int] = (1, 4, 16),
                          batch: int = 32,
                          repeats: int = 5,
                          warmup: int = 1,
                          requests: int = 64,
                          concurrency: Sequence[int] = (1, 8),
                          max_batch: int = 32,
                          max_wait: float = 0.01,
                          log: Callable[[str], None] = print) -> dict:
    """``{backbone: {'mixed', 'memory', 'server'}}`` (see
    :func:`vpt_mm.benchmark.serving.format_serving_report`)."""
    results = {}
    for name in backbones:
        if name not in BACKBONES:
            raise ValueError(f'backbone {name!r}: one of {list(BACKBONES)}')
        vit = BACKBONES[name]
        log(f'{name}: writing {max(task_counts)} task deltas')
        base, files = write_tasks(osp.join(work_dir, name), vit,
                                  max(task_counts))
        log(f'{name}: mixed against single-task batches')
        mixed = mixed_vs_single(base, files, vit, task_counts, batch,
                                repeats, warmup)
        log(f'{name}: memory of N tasks')
        memory = task_memory(base, files, task_counts)
        server = []
        if requests:
            log(f'{name}: server under load')
            served = dict(list(files.items())[:min(4, len(files))])
            server = server_load(base, served, vit, requests, concurrency,
                                 max_batch, max_wait)
        results[name] = dict(mixed=mixed, memory=memory, server=server)
    return results
