"""Step-time ratios against Full measured in pairs, in one process.

On a shared machine the speed drifts by 10-20 % within minutes, more than
the few percent the 2/3-bound question turns on; measurements taken
minutes apart (one process each, :mod:`.rounds`) carry that drift into
their ratio. Here every model is built in one process and the timed steps
go round-robin, Full's next to each method's, the order reversed every
other round; a method's ratio is the median over rounds of its step time
over Full's step time of the same round, so a drift lasting longer than a
round cancels. Memory is not measured here (see :mod:`.measure`).
"""
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from .measure import train_step
from .zoo import NUM_CLASSES, build_model

REFERENCE = ('full', 0)


def paired_step_ratios(methods: Sequence[Tuple[str, int]],
                       arch: str = 'b',
                       img_size: int = 224,
                       batch: int = 4,
                       rounds: int = 8,
                       warmup: int = 1,
                       threads: Optional[int] = None,
                       seed: int = 0,
                       log: Optional[Callable[[str], None]] = None
                       ) -> List[dict]:
    """Training-step time of each ``(method, p)`` over Full's, in pairs
    (see the module docstring), on CPU in fp32.

    Returns:
        list[dict]: Per method: ``method``, ``p``, ``ratio`` (median over
        rounds of step / Full's step), ``ratios`` (every round's) and
        ``latency_ms`` (median ms/img); Full's own entry first.
    """
    if rounds < 1 or warmup < 0:
        raise ValueError('rounds must be >= 1 and warmup >= 0')
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    inputs = torch.randn(batch, 3, img_size, img_size)
    labels = torch.randint(0, NUM_CLASSES, (batch, ))
    keys = [REFERENCE] + [tuple(m) for m in methods if tuple(m) != REFERENCE]
    steps = {key: train_step(build_model(key[0], arch, img_size, key[1]),
                              inputs, labels) for key in keys}
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: Dict[tuple, List[float]] = {key: [] for key in keys}
    for index in range(rounds):
        order = keys if index % 2 == 0 else keys[::-1]
        for key in order:
            start = time.perf_counter()
            steps[key]()
            times[key].append(time.perf_counter() - start)
        if log is not None:
            log(f'paired round {index + 1}/{rounds}: ' + ', '.join(
                f'{k[0]} p={k[1]} {times[k][-1]:.2f} s' for k in keys))
    full = times[REFERENCE]
    results = []
    for key in keys:
        ratios = [t / f for t, f in zip(times[key], full)]
        results.append(dict(
            method=key[0], p=key[1], ratio=statistics.median(ratios),
            ratios=ratios,
            latency_ms=statistics.median(times[key]) / batch * 1e3))
    return results
