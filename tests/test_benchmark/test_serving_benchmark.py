"""The serving benchmark's measurements on a tiny ViT: mixed against
single-task batches, the memory of N tasks, the report and the plot."""
import pytest

from vpt_mm.benchmark.serving import (format_serving_report,
                                      mixed_vs_single, plot_serving,
                                      task_memory, write_tasks)
from vpt_mm.models.multitask.synthetic import TINY_VIT


@pytest.fixture(scope='module')
def tasks(tmp_path_factory):
    return write_tasks(str(tmp_path_factory.mktemp('bench')), TINY_VIT, 3)


def test_mixed_against_single_and_memory(tasks, tmp_path):
    base, files = tasks
    mixed = mixed_vs_single(base, files, TINY_VIT, (1, 3), batch=6,
                            repeats=2, warmup=0)
    assert [row['tasks'] for row in mixed] == [1, 3]
    for row in mixed:
        assert row['batch'] == 6
        assert row['mixed_img_s'] > 0 and row['single_img_s'] > 0
        assert row['ratio'] > 0  # its value depends on the machine's load
    memory = task_memory(base, files, (1, 3))
    one, three = memory
    # backbone + N deltas, not N backbones
    assert three['served_mb'] - one['served_mb'] == pytest.approx(
        2 * one['delta_mb'], rel=1e-6)
    assert three['separate_mb'] == pytest.approx(3 * one['separate_mb'])
    assert three['served_mb'] < 0.5 * three['separate_mb']
    results = {'tiny': dict(mixed=mixed, memory=memory, server=[dict(
        requests=8, concurrency=4, tasks=3, errors=0, req_s=10.,
        p50_ms=20., p99_ms=40.)])}
    report = format_serving_report(results, {'CPU': 'test'})
    assert '### tiny' in report and '| 3 | 6 |' in report
    assert '| 8 | 4 | 3 | 0 | 10.0 | 20 | 40 |' in report
    assert '| CPU | test |' in report
    plot = tmp_path / 'serving.png'
    plot_serving(results, str(plot))
    assert plot.stat().st_size > 1000
