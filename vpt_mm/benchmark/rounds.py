"""The whole list of measurements: every (device, method, prompt length,
phase), each in its own process or in this one, in one or more rounds.

With ``rounds > 1`` the whole list runs ``rounds`` times in turn, every
other round in reverse order (A B B A ...), and each measurement's timed
iterations from all rounds are pooled before the median: slow drifts of a
shared machine (other jobs, frequency changes) then fall on every method
alike instead of on whichever ran during them. The peak memory is the
largest of the rounds.
"""
import statistics
from typing import Callable, Dict, List, Optional, Sequence

from .measure import PHASES, measure
from .worker import measure_isolated
from .zoo import METHODS, PROMPTED


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
