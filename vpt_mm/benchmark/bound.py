"""VPT-deep against the 2/3 bound of a training step.

A frozen backbone needs no weight gradients: per linear layer one forward
and one input-gradient matmul against Full's three, so a VPT-deep step can
approach 2/3 of a Full step in compute, and its activation memory (peak
minus the level before the first step) what input gradients need. This
table puts the measured VPT-deep (prefix form, else token form) train
step and activation memory against Full's, and the step against 2/3 of
Full's (1.00x: at the bound; the issue's goal is within 5 %).

The bound counts linear layers only. What a step really computes (counted
FLOPs, :func:`~.flops.counted_flops`) also holds attention over the ``p``
extra keys and values, the prompts' own key/value projection and, at
every p, attention's backward (all of dQ, dK, dV: the image tokens carry
gradients to earlier prompts): the table puts the step's FLOPs against
Full's, and the step time against that ratio (1.00x: the step is as fast
as its FLOPs allow, relative to Full).
"""
from typing import Dict, List, Optional

BOUND = 2 / 3
METHODS = ('vpt-deep-prefix', 'vpt-deep-token')


def _cell(value: Optional[float]) -> str:
    return '—' if value is None else f'{value:.2f}×'


def _ratio(value: Optional[float],
           reference: Optional[float]) -> Optional[float]:
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference


def format_bound_table(results: List[dict],
                       paired: Optional[List[dict]] = None) -> str:
    """Markdown, per device: for each p, VPT-deep's train step / Full's,
    that / (2/3), its counted FLOPs / Full's, the step ratio / the FLOP
    ratio, and its activation memory / Full's (train phase); with
    ``paired`` (:func:`~.paired.paired_step_ratios`, CPU) also the paired
    step ratio and that / (2/3)."""
    pairs = {(r['method'], r['p']): r['ratio'] for r in paired or ()}
    index: Dict[tuple, dict] = {(r['device'], r['method'], r['p'],
                                 r['phase']): r for r in results}
    lines = []
    for device in dict.fromkeys(r['device'] for r in results):
        full = index.get((device, 'full', 0, 'train'))
        if full is None:
            continue
        lines += [
            f'### {device}: VPT-deep training step against the 2/3 bound',
            '', '| Form | p | Step vs Full | Step vs 2/3 Full | FLOPs vs '
            'Full | Step vs FLOPs | Activation memory vs Full |' +
            (' Paired step vs Full | Paired vs 2/3 Full |'
             if pairs and device == 'cpu' else ''),
            '|---|---|---|---|---|---|---|' +
            ('---|---|' if pairs and device == 'cpu' else '')
        ]
        for method in METHODS:
            rows = sorted((key[2], res) for key, res in index.items()
                          if (key[0], key[1], key[3]) == (device, method,
                                                          'train'))
            for p, res in rows:
                step = _ratio(res['latency_ms'], full['latency_ms'])
                memory = _ratio(res['delta_mb'], full['delta_mb'])
                flops = _ratio(res.get('step_gflops'),
                               full.get('step_gflops'))
                line = (f'| {method.split("-")[-1]} | {p} | {_cell(step)} | '
                        f'{_cell(_ratio(step, BOUND))} | {_cell(flops)} | '
                        f'{_cell(_ratio(step, flops))} | {_cell(memory)} |')
                if pairs and device == 'cpu':
                    pair = pairs.get((method, p))
                    line += (f' {_cell(pair)} | '
                             f'{_cell(_ratio(pair, BOUND))} |')
                lines.append(line)
        lines.append('')
    return '\n'.join(lines)
