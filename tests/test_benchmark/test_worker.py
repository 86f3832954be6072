"""The isolated child: started on the package's own entry point, its
failure reported with its stderr."""
import pytest

from vpt_mm.benchmark import worker


def test_child_runs_the_package_not_a_tool():
    assert 'vpt_mm.benchmark.worker' in worker.CHILD
    assert 'tools' not in worker.CHILD


def test_failed_child_raises_with_its_stderr(quick):
    # fails before building a model
    spec = dict(quick, method='full', phase='eval')
    with pytest.raises(RuntimeError, match='(?s)worker failed.*phase'):
        worker.measure_isolated(spec)
