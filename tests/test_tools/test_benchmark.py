"""tools/analysis/benchmark.py on a tiny ViT: the tables' columns, ratios
and memory readings are present and plausible (never timed: no speed is
asserted)."""
import importlib.util
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from vpt_mm.utils import benchmark
from vpt_mm.utils.benchmark import (METHODS, build_model, format_tables,
                                    measure, run_benchmark)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis', 'benchmark.py')
QUICK = dict(arch='tiny', img_size=32, batch=2, repeats=2, warmup=1)
RATIO = re.compile(r'^(\d+\.\d\d)×$')


def table_rows(markdown, header_start):
    """The rows (lists of cells) of the table whose header starts so."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(header_start))
    header = [c.strip() for c in lines[start].strip('|').split('|')]
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        rows.append(dict(zip(header,
                             (c.strip() for c in line.strip('|').split('|')))))
    return header, rows


def ratio(cell):
    match = RATIO.match(cell)
    assert match, cell
    value = float(match.group(1))
    assert 0.01 < value < 100, cell
    return value


VIT_METHODS = ('full', 'linear', 'vpt-shallow', 'vpt-deep-token',
               'vpt-deep-prefix')
BASELINES = ('partial-1', 'mlp-3', 'sidetune', 'bias', 'adapter-r8',
             'adapter-r64', 'adapter-r256')


def test_all_methods_in_process():
    results = run_benchmark(
        prompt_lengths=(1, 3), devices=('cpu', ), isolate=False,
        methods=VIT_METHODS, **QUICK)
    # Full and Linear once, the three prompted methods per length; 2 phases
    assert len(results) == (2 + 3 * 2) * 2
    for result in results:
        assert result['latency_ms'] > 0
        assert len(result['times_s']) == 2
        assert result['peak_mb'] > 0 and result['delta_mb'] >= 0
    markdown = format_tables(results)

    header, rows = table_rows(markdown, '| Method |')
    assert header == [
        'Method', 'p', 'Tuned params', 'Train latency (ms/img)',
        'Train peak memory (MB)', 'Test latency (ms/img)',
        'Test peak memory (MB)', 'Train latency vs Full',
        'Test latency vs Full'
    ]
    assert [(r['Method'], r['p']) for r in rows] == [
        ('Full', '—'), ('Linear', '—'), ('VPT-shallow', '1'),
        ('VPT-shallow', '3'), ('VPT-deep (token)', '1'),
        ('VPT-deep (token)', '3'), ('VPT-deep (prefix)', '1'),
        ('VPT-deep (prefix)', '3')
    ]
    tuned = {(r['Method'], r['p']): float(r['Tuned params'].rstrip('%'))
             for r in rows}
    assert tuned[('Full', '—')] == 100
    assert 0 < tuned[('Linear', '—')] < tuned[('VPT-shallow', '1')] < \
        tuned[('VPT-deep (token)', '1')] < tuned[('VPT-deep (token)', '3')]
    # the two deep forms train the same parameters
    assert tuned[('VPT-deep (token)', '3')] == \
        tuned[('VPT-deep (prefix)', '3')]
    for row in rows:
        assert ratio(row['Train latency vs Full']) > 0
        assert ratio(row['Test latency vs Full']) > 0
        assert re.match(r'^\d+ \(\+\d+\)$', row['Train peak memory (MB)'])
    full = rows[0]
    assert full['Train latency vs Full'] == '1.00×'
    assert full['Test latency vs Full'] == '1.00×'

    header, rows = table_rows(markdown, '| p | Train token')
    assert 'Train speed-up' in header and 'Test speed-up' in header
    assert 'Test memory ratio' in header
    assert [r['p'] for r in rows] == ['1', '3']
    for row in rows:
        ratio(row['Train speed-up'])
        ratio(row['Test speed-up'])


def test_rounds_run_round_robin_and_pool_timings():
    log = []
    results = run_benchmark(
        prompt_lengths=(2, ), devices=('cpu', ), isolate=False, rounds=2,
        methods=('full', 'vpt-deep-prefix'), log=log.append, **QUICK)
    # one result per measurement, each holding both rounds' iterations
    assert len(results) == 2 * 2
    for result in results:
        assert result['rounds'] == 2
        assert len(result['times_s']) == 2 * QUICK['repeats']
        middle = sorted(result['times_s'])[1:3]  # median of 4 timings
        assert result['latency_ms'] == pytest.approx(
            sum(middle) / 2 / QUICK['batch'] * 1e3)
    # the whole list once, then again in reverse (A B B A)
    rounds = [line.split(' [')[0] for line in log]
    assert rounds == ['round 1/2'] * 4 + ['round 2/2'] * 4
    names = [line.split('] ')[1].split(':')[0] for line in log]
    assert names[:4] == [
        'Full p=0 train', 'Full p=0 test', 'VPT-deep (prefix) p=2 train',
        'VPT-deep (prefix) p=2 test'
    ]
    assert names[4:] == names[3::-1]
    with pytest.raises(ValueError, match='rounds'):
        run_benchmark(rounds=0, **QUICK)


def test_no_ratio_without_its_comparison():
    results = run_benchmark(
        prompt_lengths=(2, ), devices=('cpu', ), isolate=False,
        methods=('vpt-deep-prefix', ), **QUICK)
    markdown = format_tables(results)
    _, rows = table_rows(markdown, '| Method |')
    assert rows[0]['Train latency vs Full'] == '—'
    assert 'prefix vs token' not in markdown
    with pytest.raises(ValueError, match='unknown method'):
        run_benchmark(methods=('vpt-deeper', ), **QUICK)
    with pytest.raises(ValueError, match='phase'):
        measure('full', 'eval', **QUICK)
    assert set(METHODS) == set(VIT_METHODS + BASELINES)


def test_baselines_train_what_their_configs_train(monkeypatch):
    """Tab. 12's baseline rows: tuned fractions in the paper's order, and
    a training step changes exactly the tuned parameters."""
    # wide enough for a reduction of 256, one layer; Sidetune needs 63 px
    monkeypatch.setitem(
        benchmark.ARCHS, 'wide',
        dict(embed_dims=256, num_layers=1, num_heads=4,
             feedforward_channels=256))
    quick = dict(QUICK, arch='wide', img_size=64)
    results = run_benchmark(
        prompt_lengths=(1, ), devices=('cpu', ), isolate=False,
        methods=('full', 'linear') + BASELINES, **quick)
    tuned = {r['method']: r['tuned_params'] / r['total_params']
             for r in results if r['phase'] == 'train'}
    assert tuned['full'] == 1
    # the adapters' share falls with the reduction; every baseline tunes
    # more than Linear and less than Full
    assert tuned['adapter-r8'] > tuned['adapter-r64'] > \
        tuned['adapter-r256'] > tuned['linear']
    for method in BASELINES:
        assert tuned['linear'] < tuned[method] < 1, method
    markdown = format_tables(results)
    _, rows = table_rows(markdown, '| Method |')
    assert [r['Method'] for r in rows] == [METHODS[m] for m in (
        'full', 'linear') + BASELINES]
    for row in rows:
        ratio(row['Train latency vs Full'])
    for method in BASELINES:
        model = build_model(method, arch='wide', img_size=64).train()
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        tuned_names = {n for n, p in model.named_parameters()
                       if p.requires_grad}
        optimizer = torch.optim.SGD(
            [p for p in model.parameters() if p.requires_grad], lr=0.1)
        model(torch.randn(2, 3, 64, 64)).square().mean().backward()
        optimizer.step()
        changed = {n for n, p in model.named_parameters()
                   if not torch.equal(p, before[n])}
        assert changed and changed <= tuned_names, method
        assert not any(p.grad is not None for p in model.parameters()
                       if not p.requires_grad), method


def test_tool_isolated_processes(tmp_path):
    out, out_json = tmp_path / 'bench.md', tmp_path / 'bench.json'
    plot = tmp_path / 'bench.png'
    cmd = [
        sys.executable, TOOL, '--arch', 'tiny', '--img-size', '32',
        '--batch', '2', '--repeats', '2', '--warmup', '1',
        '--prompt-lengths', '2', '--methods', 'full', 'vpt-deep-prefix',
        '--device', 'cpu', '--out',
        str(out), '--json',
        str(out_json)
    ]
    has_matplotlib = importlib.util.find_spec('matplotlib') is not None
    if has_matplotlib:
        cmd += ['--plot', str(plot)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    report = out.read_text()
    for needle in ('**CPU**:', '**torch**:', '**mmpretrain**:',
                   '**Batch**: 2', '**Image size**: 32',
                   '**Repeats (timed)**: 2', '**Warm-up**: 1', '### cpu'):
        assert needle in report, needle
    _, rows = table_rows(report, '| Method |')
    assert [r['Method'] for r in rows] == ['Full', 'VPT-deep (prefix)']
    ratio(rows[1]['Train latency vs Full'])
    results = json.loads(out_json.read_text())
    assert len(results) == 4
    for result in results:
        # a fresh process each: at least the interpreter and torch resident
        assert result['peak_mb'] > 50
        assert 0 <= result['delta_mb'] < result['peak_mb']
    if has_matplotlib:
        assert plot.stat().st_size > 0
