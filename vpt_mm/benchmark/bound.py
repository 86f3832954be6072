"""VPT-deep against the 2/3 bound of a training step.

A frozen backbone needs no weight gradients: per linear layer one forward
and one input-gradient matmul against Full's three, so a VPT-deep step can
approach 2/3 of a Full step in compute, and its activation memory (peak
minus the level before the first step) what input gradients need. This
table puts the measured VPT-deep (prefix form, else token form) train
step and activation memory against Full's, and the step against 2/3 of
Full's (1.00x: at the bound; the issue's goal is within 5 %).
"""
from typing import Dict, List, Optional

BOUND = 2 / 3
METHODS = ('vpt-deep-prefix', 'vpt-deep-token')


def _cell(value: Optional[float]) -> str:
    return '—' if value is None else f'{value:.2f}×'


def format_bound_table(results: List[dict]) -> str:
    """Markdown, per device: for each p, VPT-deep's train step / Full's,
    that / (2/3), and its activation memory / Full's (train phase)."""
    index: Dict[tuple, dict] = {(r['device'], r['method'], r['p'],
                                 r['phase']): r for r in results}
    lines = []
    for device in dict.fromkeys(r['device'] for r in results):
        full = index.get((device, 'full', 0, 'train'))
        if full is None:
            continue
        lines += [
            f'### {device}: VPT-deep training step against the 2/3 bound',
            '', '| Form | p | Step vs Full | Step vs 2/3 Full | '
            'Activation memory vs Full |', '|---|---|---|---|---|'
        ]
        for method in METHODS:
            rows = sorted((key[2], res) for key, res in index.items()
                          if (key[0], key[1], key[3]) == (device, method,
                                                          'train'))
            for p, res in rows:
                step = res['latency_ms'] / full['latency_ms'] \
                    if full['latency_ms'] > 0 else None
                memory = res['delta_mb'] / full['delta_mb'] \
                    if full['delta_mb'] > 0 else None
                lines.append(
                    f'| {method.split("-")[-1]} | {p} | {_cell(step)} | '
                    f'{_cell(None if step is None else step / BOUND)} | '
                    f'{_cell(memory)} |')
        lines.append('')
    return '\n'.join(lines)
