"""tools/analysis/benchmark.py on a tiny ViT, every measurement in its own
process: the report holds the machine, the settings and the library's
tables of the measurements it writes as JSON (never timed: no speed is
asserted)."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

from vpt_mm.benchmark.bound import format_bound_table
from vpt_mm.benchmark import format_tables

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis', 'benchmark.py')


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
    assert proc.stdout == report
    for needle in ('**CPU**:', '**torch**:', '**mmpretrain**:',
                   '**Batch**: 2', '**Image size**: 32',
                   '**Repeats (timed)**: 2', '**Warm-up**: 1', '### cpu'):
        assert needle in report, needle
    results = json.loads(out_json.read_text())
    assert len(results) == 4
    assert [(r['method'], r['phase']) for r in results] == [
        ('full', 'train'), ('full', 'test'), ('vpt-deep-prefix', 'train'),
        ('vpt-deep-prefix', 'test')
    ]
    # the report's tables are the library's of the measurements written
    # then VPT-deep against the 2/3 bound (vpt_mm.benchmark.bound)
    assert report.endswith(format_tables(results) + '\n\n' +
                           format_bound_table(results).rstrip() + '\n')
    assert '| prefix | 2 | ' in report
    lines = report.splitlines()
    rows = lines[lines.index('### cpu') + 4:]
    assert [row.split(' | ')[0] for row in rows[:2]] == [
        '| Full', '| VPT-deep (prefix)'
    ]
    # positive and finite (tiny steps on a loaded machine vary a lot)
    assert 0 < results[2]['latency_ms'] / results[0]['latency_ms'] < 1e4
    assert rows[1].split(' | ')[-2].endswith('×')
    for result in results:
        # a fresh process each: at least the interpreter and torch resident
        assert result['peak_mb'] > 50
        assert 0 <= result['delta_mb'] < result['peak_mb']
    if has_matplotlib:
        assert plot.stat().st_size > 0
