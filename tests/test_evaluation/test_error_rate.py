"""ErrorRate: mmpretrain's accuracy plus error = 100 - accuracy."""
import pytest
import torch
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

SCORES = [([0.9, 0.1, 0.], 0), ([0.2, 0.7, 0.1], 0), ([0.1, 0.2, 0.7], 2),
          ([0.5, 0.3, 0.2], 1)]


def predictions():
    return [
        DataSample().set_pred_score(torch.tensor(score)).set_gt_label(
            label).to_dict() for score, label in SCORES
    ]


def test_error_is_100_minus_accuracy():
    metric = METRICS.build(dict(type='ErrorRate', topk=(1, 2)))
    metric.process([], predictions())
    result = metric.evaluate(len(SCORES))
    # 2 of 4 right at top-1, all 4 within the top 2
    assert result == pytest.approx({
        'accuracy/top1': 50., 'accuracy/top2': 100.,
        'error/top1': 50., 'error/top2': 0.})


def test_default_top1_and_prefix():
    metric = METRICS.build(dict(type='ErrorRate', prefix='lt'))
    metric.process([], predictions()[:3])
    result = metric.evaluate(3)
    assert result == pytest.approx({
        'lt/top1': 200 / 3, 'lt/error_top1': 100 / 3})


def test_thresholds_are_refused():
    with pytest.raises(ValueError, match='thrs'):
        METRICS.build(dict(type='ErrorRate', thrs=0.5))
