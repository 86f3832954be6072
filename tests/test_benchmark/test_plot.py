"""The benchmark plot's axes are honest: y from 0, x from p = 0, lines
only through more than two measured prompt lengths."""
import pytest

from vpt_mm.benchmark.report import draw_results, plot_results
from vpt_mm.sweep.plot import png_size

pytest.importorskip('matplotlib', reason='the plot needs matplotlib')


def result(method, p, phase, latency):
    return dict(device='cpu', method=method, p=p, phase=phase,
                latency_ms=latency, peak_mb=400 + latency, delta_mb=1.0)


def results():
    out = []
    for phase in ('train', 'test'):
        out += [result('full', 0, phase, 50.0),
                result('linear', 0, phase, 20.0)]
        out += [result('vpt-deep-prefix', p, phase, 30.0 + p / 10)
                for p in (1, 10, 50, 100)]
        out += [result('vpt-shallow', p, phase, 30.0 + p / 5)
                for p in (1, 100)]
    return out


def test_axes_start_at_zero_and_lines_need_three_points(tmp_path):
    import matplotlib.pyplot as plt
    fig = draw_results(results())
    axes = fig.get_axes()
    assert len(axes) == 4  # train and test, latency and memory
    for ax in axes:
        # from 0, and the Full line (the largest value) inside the plot
        assert ax.get_ylim()[0] == 0
        assert ax.get_ylim()[1] > max(line.get_ydata()[0]
                                      for line in ax.get_lines())
        assert ax.get_xlim()[0] == 0
        lines = {line.get_label(): line for line in ax.get_lines()}
        deep, shallow = lines['VPT-deep (prefix)'], lines['VPT-shallow']
        assert list(deep.get_xdata()) == [1, 10, 50, 100]
        assert deep.get_linestyle() == '-'
        assert shallow.get_linestyle() == 'None'
        assert shallow.get_marker() == 'o'
    plt.close(fig)
    path = tmp_path / 'bench.png'
    plot_results(results(), str(path))
    assert png_size(str(path))[0] > 300
