"""The results as the paper's Tab. 12: per device a Markdown table with
ratios against Full, the VPT-deep prefix form against the token form, the
whole report, and latency and memory against p as plots (Figs. 18-19)."""
from typing import Dict, List, Optional

from .measure import PHASES
from .zoo import METHODS, PROMPTED


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


def draw_results(results: List[dict]):
    """The figure of :func:`plot_results` (matplotlib, not saved).

    Honest axes: every y-axis starts at 0 and every x-axis at p = 0; a
    method measured at more than two prompt lengths is a line through
    them, one measured at one or two is markers only (a line through two
    points would suggest a trend that was not measured).
    """
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
                    ax.plot(*zip(*points), marker='o',
                            linestyle='-' if len(points) > 2 else 'none',
                            label=METHODS[method])
            for method, style in (('full', '--'), ('linear', ':')):
                ref = index.get((device, method, 0, phase))
                if ref is not None:
                    ax.axhline(ref[key], color='gray', linestyle=style,
                               label=METHODS[method])
            shown = [r[key] for (d, _, _, ph), r in index.items()
                     if (d, ph) == (device, phase)]
            ax.set_xlim(left=0)
            ax.set_ylim(0, 1.1 * max(shown + [1e-9]))
            ax.set_xlabel('prompt length p')
            ax.set_ylabel(label)
            ax.set_title(f'{device}, {phase}')
            ax.legend()
    fig.tight_layout()
    return fig


def plot_results(results: List[dict], path: str) -> None:
    """Latency and peak memory against p (cf. Figs. 18-19), Full and
    Linear as horizontal lines; one row of plots per device and phase
    (:func:`draw_results`), saved to ``path``."""
    import matplotlib.pyplot as plt
    fig = draw_results(results)
    fig.savefig(path, dpi=80)
    plt.close(fig)
