"""vpt_mm.sweep.scores: a run's last score from its mmengine logs."""
import json
import os
import os.path as osp

from sweep_helpers import SCALARS, write_log

from vpt_mm.sweep.scores import last_score, read_scalars


def test_read_scalars_skips_train_lines_and_a_truncated_tail(tmp_path):
    write_log(str(tmp_path), '20240101_120000', SCALARS,
              tail='{"accuracy/top1": 9')
    path = tmp_path / '20240101_120000' / 'vis_data' / 'scalars.json'
    assert read_scalars(str(path)) == [(50.0, 5), (75.0, 10)]
    assert read_scalars(str(path), 'loss') == [(1.4049, 4), (1.2212, 10)]


def test_last_score_takes_the_newest_log_with_the_metric(tmp_path):
    work_dir = str(tmp_path)
    assert last_score(work_dir) is None
    write_log(work_dir, '20240101_120000', SCALARS[:2])
    write_log(work_dir, '20240102_080000', SCALARS)
    # a resumed start that validated nothing
    write_log(work_dir, '20240103_080000', SCALARS[:1])
    os.makedirs(osp.join(work_dir, 'not_a_timestamp'))
    score = last_score(work_dir)
    assert score['value'] == 75.0 and score['step'] == 10
    assert '20240102_080000' in score['file']
    assert last_score(work_dir, stamps=['20240103_080000']) is None
    assert last_score(work_dir, stamps=['20240101_120000'])['value'] == 50.


def test_last_score_reads_the_logger_json_too(tmp_path):
    folder = tmp_path / '20240101_120000' / 'vis_data'
    folder.mkdir(parents=True)
    (folder / '20240101_120000.json').write_text(
        json.dumps(SCALARS[-1]) + '\n')
    assert last_score(str(tmp_path))['value'] == 75.0
