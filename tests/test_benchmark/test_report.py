"""The Markdown tables on a tiny ViT measured in this process: columns,
ratios and memory readings present and plausible (never timed: no speed
is asserted)."""
import re

from vpt_mm.benchmark.report import format_tables
from vpt_mm.benchmark.rounds import run_benchmark

VIT_METHODS = ('full', 'linear', 'vpt-shallow', 'vpt-deep-token',
               'vpt-deep-prefix')


def test_all_methods_in_process(quick, table_rows, ratio):
    results = run_benchmark(
        prompt_lengths=(1, 3), devices=('cpu', ), isolate=False,
        methods=VIT_METHODS, **quick)
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


def test_no_ratio_without_its_comparison(quick, table_rows):
    results = run_benchmark(
        prompt_lengths=(2, ), devices=('cpu', ), isolate=False,
        methods=('vpt-deep-prefix', ), **quick)
    markdown = format_tables(results)
    _, rows = table_rows(markdown, '| Method |')
    assert rows[0]['Train latency vs Full'] == '—'
    assert 'prefix vs token' not in markdown
