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


def test_counted_flops_include_cpu_attention():
    """torch's counter skips the CPU flash-attention kernels; ours counts
    them with torch's formulas (forward and backward)."""
    import torch
    import torch.nn.functional as F
    from torch.utils.flop_counter import (sdpa_backward_flop_count,
                                          sdpa_flop_count)

    from vpt_mm.benchmark.flops import counted_flops
    q = torch.randn(2, 3, 5, 8, requires_grad=True)
    k = torch.randn(2, 3, 7, 8, requires_grad=True)
    v = torch.randn(2, 3, 7, 8, requires_grad=True)
    shapes = (q.shape, k.shape, v.shape)
    expected = sdpa_flop_count(*shapes) + sdpa_backward_flop_count(
        q.shape, *shapes)
    assert counted_flops(
        lambda: F.scaled_dot_product_attention(q, k, v).sum().backward()
    ) == expected


def test_measure_counts_the_training_step_flops(quick):
    """Full computes weight gradients, a frozen backbone does not, and
    prompts add keys and values: Full > VPT-deep > Linear per image."""
    gflops = {
        method: measure(method, 'train', num_tokens=4, **quick)[
            'step_gflops'] for method in ('full', 'vpt-deep-prefix',
                                          'linear')
    }
    assert gflops['full'] > gflops['vpt-deep-prefix'] > gflops['linear'] > 0
    assert measure('full', 'test', **quick)['step_gflops'] is None
