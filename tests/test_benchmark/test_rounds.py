"""The list of measurements in rounds (in this process)."""
import pytest

from vpt_mm.benchmark.rounds import run_benchmark


def test_rounds_run_round_robin_and_pool_timings(quick):
    log = []
    results = run_benchmark(
        prompt_lengths=(2, ), devices=('cpu', ), isolate=False, rounds=2,
        methods=('full', 'vpt-deep-prefix'), log=log.append, **quick)
    # one result per measurement, each holding both rounds' iterations
    assert len(results) == 2 * 2
    for result in results:
        assert result['rounds'] == 2
        assert len(result['times_s']) == 2 * quick['repeats']
        middle = sorted(result['times_s'])[1:3]  # median of 4 timings
        assert result['latency_ms'] == pytest.approx(
            sum(middle) / 2 / quick['batch'] * 1e3)
    # the whole list once, then again in reverse (A B B A)
    rounds = [line.split(' [')[0] for line in log]
    assert rounds == ['round 1/2'] * 4 + ['round 2/2'] * 4
    names = [line.split('] ')[1].split(':')[0] for line in log]
    assert names[:4] == [
        'Full p=0 train', 'Full p=0 test', 'VPT-deep (prefix) p=2 train',
        'VPT-deep (prefix) p=2 test'
    ]
    assert names[4:] == names[3::-1]
    with pytest.raises(ValueError, match='rounds'):
        run_benchmark(rounds=0, **quick)


def test_unknown_method(quick):
    with pytest.raises(ValueError, match='unknown method'):
        run_benchmark(methods=('vpt-deeper', ), **quick)
