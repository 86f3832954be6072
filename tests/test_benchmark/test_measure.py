"""One measurement in this process (never timed: no speed is asserted)."""
import pytest

from vpt_mm.benchmark.measure import measure


def test_measure_reports_timings_memory_and_parameters(quick):
    result = measure('vpt-deep-prefix', 'train', num_tokens=2, **quick)
    assert len(result['times_s']) == quick['repeats']
    assert result['latency_ms'] > 0
    assert result['peak_mb'] > 0 and result['delta_mb'] >= 0
    assert 0 < result['tuned_params'] < result['total_params']


def test_bad_arguments(quick):
    with pytest.raises(ValueError, match='phase'):
        measure('full', 'eval', **quick)
    with pytest.raises(ValueError, match='repeats'):
        measure('full', 'train', **dict(quick, repeats=0))
