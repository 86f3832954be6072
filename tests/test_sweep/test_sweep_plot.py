"""vpt_mm.sweep.plot: the grid's heat map."""
import os

import pytest

from vpt_mm.sweep.plot import plot_grid, png_size


def test_heat_map_is_a_png_of_the_grid(tmp_path):
    lrs = [50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05]
    wds = [0.01, 0.001, 0.0001, 0.]
    values = [[40. + i + j for j in range(4)] for i in range(10)]
    values[0][3] = None
    path = plot_grid(lrs, wds, values, str(tmp_path / 'a' / 'g.png'),
                           best=(0.05, 0.), title='kitti')
    width, height = png_size(path)
    assert 300 <= width <= 2000 and 300 <= height <= 2000
    assert height > width * 0.8  # ten rows, four columns
    assert os.path.getsize(path) > 5000
    (tmp_path / 'not.png').write_bytes(b'GIF89a' + b'\0' * 30)
    with pytest.raises(ValueError):
        png_size(str(tmp_path / 'not.png'))
