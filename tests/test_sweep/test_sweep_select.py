"""vpt_mm.sweep.select: the best grid point and the seeds' statistics."""
import math

import pytest
from sweep_helpers import make_spec

from vpt_mm.sweep.errors import SweepError
from vpt_mm.sweep.select import grid_means, mean_std, select_best


def test_select_best_and_its_ties():
    assert select_best({(1.0, 0.0): 50., (0.1, 0.0): 60.}) == (0.1, 0.0)
    # equal scores: the smaller lr, then the larger weight decay
    assert select_best({(1.0, 0.0): 60., (0.1, 0.0): 60.,
                        (10., 0.01): 60.}) == (0.1, 0.0)
    assert select_best({(0.1, 0.0): 60., (0.1, 0.01): 60.,
                        (0.1, 0.001): 60.}) == (0.1, 0.01)
    # within the tolerance is a tie; None and NaN are ignored
    assert select_best({(0.5, 0.0): 60. + 1e-9, (0.25, 0.0): 60.,
                        (0.05, 0.0): None,
                        (0.01, 0.0): math.nan}) == (0.25, 0.0)
    with pytest.raises(SweepError):
        select_best({(0.5, 0.0): None})


def test_grid_means_average_the_tune_seeds(tmp_path):
    spec = make_spec(tmp_path, tune_seeds=[0, 1])
    scores = {'lr0.5_wd0.001_seed0': 70., 'lr0.5_wd0.001_seed1': 80.,
              'lr0.05_wd0.001_seed0': 90.}
    assert grid_means(spec, scores) == {(0.5, 0.001): 75.,
                                        (0.05, 0.001): None}


def test_mean_std():
    assert mean_std([1., 2., 3.]) == (2., 1.)
    assert mean_std([80.]) == (80., 0.)


def test_select_best_over_prompt_lengths():
    means = {(0.1, 0.0, 10): 60., (0.1, 0.0, 1): 60., (0.5, 0.0, 5): 61.,
             (0.05, 0.001, 50): 60.5}
    assert select_best(means) == (0.5, 0.0, 5)
    # ties: smaller lr first, then larger weight decay, then shorter prompt
    assert select_best({(0.1, 0.0, 10): 60., (0.1, 0.0, 1): 60.,
                        (0.1, 0.001, 50): 59.}) == (0.1, 0.0, 1)
