"""vpt_mm.apis.run_worker: many runs in one process, each run's output in
its own log, an answer line per run, a fresh process after a failure."""
import io
import json
import sys

from mmengine.logging import MMLogger
from mmseg.visualization import SegLocalVisualizer

from vpt_mm.apis.run_worker import REPLY_MARK, run_once, serve_runs


def answers(text):
    return [json.loads(line[len(REPLY_MARK):])['status']
            for line in text.splitlines() if line.startswith(REPLY_MARK)]


def test_each_run_writes_its_own_log_and_gets_an_answer(tmp_path, capfd):
    seen = []

    def train(argv):
        seen.append(list(sys.argv[1:]))
        print('out of', argv[0])
        print('err of', argv[0], file=sys.stderr)
        # mmengine's per-experiment state (named by config and second:
        # the same name for two runs), forgotten between runs, also of
        # subclasses (mmseg's visualizer)
        assert 'same-name' not in MMLogger._instance_dict
        assert 'same-name' not in SegLocalVisualizer._instance_dict
        MMLogger.get_instance('same-name', log_file=str(
            tmp_path / f'{argv[0]}.mm.log'))
        SegLocalVisualizer.get_instance('same-name')
        if argv[0] == 'c':
            raise SystemExit('c: bad --cfg-options')

    logs = {name: tmp_path / f'{name}.log' for name in 'abcd'}
    requests = io.StringIO(''.join(
        json.dumps(dict(argv=[name, '--x'], log=str(path))) + '\n'
        for name, path in logs.items()))
    status = serve_runs(train, requests)
    out = capfd.readouterr().out
    assert answers(out) == [0, 0, 1]  # and no run d: c failed
    assert status == 1
    assert 'out of' not in out
    assert seen == [['a', '--x'], ['b', '--x'], ['c', '--x']]
    assert logs['a'].read_text() == 'out of a\nerr of a\n'
    assert logs['c'].read_text() == 'out of c\nerr of c\nc: bad ' \
        '--cfg-options\n'
    assert not logs['d'].exists()
    assert 'same-name' not in MMLogger._instance_dict  # closed, forgotten


def test_exit_statuses_as_a_process_would_report_them(capsys):
    def exits(code):
        def train(argv):
            raise SystemExit(code)
        return train

    def fails(argv):
        raise RuntimeError('boom')

    assert run_once(exits(None), []) == 0
    assert run_once(exits(3), []) == 3
    assert run_once(fails, []) == 1
    assert 'RuntimeError: boom' in capsys.readouterr().err
