"""The 2/3-bound table of the benchmark, and the commands of the
frozen-feature cache's sweep timing (vpt_mm.benchmark.cache_sweep)."""
from vpt_mm.benchmark.bound import format_bound_table
from vpt_mm.benchmark.cache_sweep import GRIDS, sweep_command
from vpt_mm.testing.toy_vtab import write_toy_vtab


def result(method, p, latency, delta, phase='train', gflops=None):
    return dict(device='cpu', method=method, p=p, phase=phase,
                latency_ms=latency, delta_mb=delta, peak_mb=delta + 100,
                step_gflops=gflops)


def test_bound_table_ratios_for_every_p():
    results = [result('full', 0, 30., 400., gflops=100.),
               result('full', 0, 9., 50., 'test')]
    results += [result('vpt-deep-prefix', p, 20. + (p - 1) / 10, 100. + p,
                       gflops=None if p == 50 else 80. + p / 10)
                for p in (200, 1, 50, 10)]
    table = format_bound_table(results)
    lines = [line for line in table.splitlines() if line.startswith(
        '| prefix')]
    assert [line.split('|')[2].strip() for line in lines] == [
        '1', '10', '50', '200']
    # p = 1: 20 / 30 = 0.67 of Full, 1.00 of the bound; FLOPs 80.1 / 100,
    # so the step is 0.67 / 0.80 = 0.83 of what its FLOPs allow; memory
    # 101 / 400
    assert lines[0] == '| prefix | 1 | 0.67× | 1.00× | 0.80× | 0.83× | ' \
        '0.25× |'
    assert lines[2] == '| prefix | 50 | 0.83× | 1.25× | — | — | 0.38× |'
    assert lines[3] == '| prefix | 200 | 1.33× | 1.99× | 1.00× | 1.33× | ' \
        '0.75× |'
    assert format_bound_table(results[2:]) == ''  # no Full: no table


def test_cache_sweep_commands(tmp_path):
    grid = GRIDS['vit-b16']
    plain = sweep_command(grid, 'w/u', 'data', cache=False)
    cached = sweep_command(grid, 'w/c', 'data', cache=True)
    assert plain[-1] == 'cache_frozen_features=False'
    assert 'cache_frozen_features=False' not in cached
    assert 'data_root=data' in cached and '--lrs' in cached
    assert 'model.backbone.init_cfg.checkpoint=data/backbone.pth' in cached
    assert '--fresh-processes' in sweep_command(grid, 'w/f', 'data',
                                                cache=True, resident=False)
    assert '--fresh-processes' not in cached
    counts = write_toy_vtab(str(tmp_path / 'eurosat'), 3,
                            dict(train800=4, val200=2, test=2), size=8)
    assert counts == dict(train800=4, val200=2, test=2, train800val200=6)
    lines = (tmp_path / 'eurosat' / 'train800val200.txt').read_text()
    assert lines.splitlines()[0] == 'images/train800_00000.png 0'
    assert (tmp_path / 'eurosat' / 'images' / 'test_00001.png').is_file()


def test_paired_ratios_and_their_columns():
    """Every model in one process, steps round-robin: Full's ratio is 1
    in every round; the bound table shows the paired columns on CPU."""
    from vpt_mm.benchmark.paired import paired_step_ratios
    paired = paired_step_ratios([('vpt-deep-prefix', 2), ('full', 0)],
                                arch='tiny', img_size=32, batch=2, rounds=3)
    assert [(r['method'], r['p']) for r in paired] == [
        ('full', 0), ('vpt-deep-prefix', 2)]
    assert paired[0]['ratios'] == [1.0] * 3 and paired[0]['ratio'] == 1.0
    assert len(paired[1]['ratios']) == 3 and paired[1]['ratio'] > 0
    results = [result('full', 0, 30., 400., gflops=100.),
               result('vpt-deep-prefix', 2, 21., 100., gflops=70.)]
    table = format_bound_table(
        results, [dict(method='vpt-deep-prefix', p=2, ratio=0.69)])
    assert 'Paired step vs Full | Paired vs 2/3 Full |' in table
    assert table.splitlines()[-1] == (
        '| prefix | 2 | 0.70× | 1.05× | 0.70× | 1.00× | 0.25× | 0.69× | '
        '1.03× |')
    assert 'Paired' not in format_bound_table(results)
