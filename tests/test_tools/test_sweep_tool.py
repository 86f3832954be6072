"""tools/sweep.py end to end on the toy FGVC set: 2 lr x 1 wd, 2 seeds."""
import csv
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
import time

import pytest

from vpt_mm.sweep.plot import png_size
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'sweep.py')
SMOKE = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')

# what the dataset and schedule bases of the config zoo declare, on top of
# the smoke config; 6 iterations, a checkpoint every 3
TASK_CONFIG = """
_base_ = {smoke!r}
data_root = {data!r}
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
protocol = dict(tune=dict(train='train', val='val'),
                final=dict(train='trainval', test='test'))
task_name = 'cub'
benchmark = 'fgvc'
sweep_grid = dict(base_lr=[0.5, 0.05], weight_decay=[0.001])
max_iters = 6
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=False, begin=2,
         end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=3)
default_hooks = dict(checkpoint=dict(interval=3))
"""


def write_task(root, template=TASK_CONFIG):
    """The toy FGVC set under ``root/data`` and ``root/toy_cub.py``, the
    smoke config made a task by ``template``; ``root``."""
    write_toy_fgvc(str(root / 'data'))
    (root / 'toy_cub.py').write_text(
        template.format(smoke=SMOKE, data=str(root / 'data')))
    return root


def sweep_env():
    """This environment without ``OMP_NUM_THREADS``: the sweep shares the
    CPU cores out among its jobs unless the user has set it (an earlier
    test's mmengine may have)."""
    return {key: value for key, value in os.environ.items()
            if key != 'OMP_NUM_THREADS'}


def load_tool():
    spec = importlib.util.spec_from_file_location('sweep_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def swept(tmp_path_factory):
    """One real sweep: 2 tuning runs and 2 final runs of tools/train.py,
    two at a time (``--jobs 2``, as the demo runs)."""
    root = write_task(tmp_path_factory.mktemp('sweep'))
    result = subprocess.run(
        [sys.executable, TOOL, 'toy_cub.py', '--work-dir', 'sweep',
         '--num-seeds', '2', '--method-name', 'VPT-deep', '--jobs', '2'],
        cwd=str(root), env=sweep_env(), capture_output=True, text=True,
        timeout=400)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return root, output


def test_sweep_tunes_selects_and_runs_seeds(swept):
    root, output = swept
    task_dir = root / 'sweep' / 'cub'
    results = json.loads((task_dir / 'results.json').read_text())
    assert results['status'] == 'complete'
    assert (results['task'], results['benchmark']) == ('cub', 'fgvc')
    tune = results['tune']
    assert tune['base_lr'] == [0.5, 0.05] and tune['weight_decay'] == [0.001]
    scores = [run['top1'] for run in tune['runs']]
    assert all(0 <= score <= 100 for score in scores)
    assert tune['val_top1'] == [[scores[0]], [scores[1]]]
    best = results['best']
    assert best['val_top1'] == max(scores)
    best_lr = [0.5, 0.05][scores.index(max(scores))]
    if scores[0] == scores[1]:
        best_lr = 0.05  # a tie goes to the smaller lr
    assert (best['base_lr'], best['weight_decay']) == (best_lr, 0.001)

    final = results['final']
    assert [run['seed'] for run in final['runs']] == [0, 1]
    assert {(run['train_split'], run['eval_split'])
            for run in final['runs']} == {('trainval', 'test')}
    tests = [run['top1'] for run in final['runs']]
    assert final['test_top1_mean'] == pytest.approx(sum(tests) / 2)
    assert final['test_top1_std'] == pytest.approx(
        abs(tests[0] - tests[1]) / 2**0.5)

    # each score is the run's own last validation, at iteration 6, of the
    # split the sweep asked for
    for run in tune['runs'] + final['runs']:
        run_dir = task_dir / run['work_dir']
        marker = json.loads((run_dir / 'sweep_result.json').read_text())
        assert marker['top1'] == run['top1'] and marker['step'] == 6
        assert 'val_dataloader.dataset.split=' + run['eval_split'] in \
            marker['cfg_options']
        log = (run_dir / marker['log']).read_text().splitlines()
        assert json.loads(log[-1])['accuracy/top1'] == run['top1']
        # run with its share of the cores: two jobs, half each
        command = (run_dir / 'sweep.log').read_text().splitlines()[0]
        threads = max(1, (os.cpu_count() or 1) // 2)
        assert command.startswith('$ ') and \
            f'OMP_NUM_THREADS={threads} ' in command, command
    # checkpoints: gone for tuning runs, kept for final ones
    assert not list((task_dir / 'tune').glob('*/*.pth'))
    assert (task_dir / 'final' / f'lr{best_lr:g}_wd0.001_seed1' /
            'iter_6.pth').is_file()

    width, height = png_size(str(task_dir / 'grid.png'))
    assert width > 150 and height > 150
    assert f'{final["test_top1_mean"]:.2f}' in output
    assert 'runs: 4 trained, 0 skipped' in output


def test_summary_of_the_sweep(swept):
    root, _ = swept
    results = json.loads((root / 'sweep/cub/results.json').read_text())
    mean = results['final']['test_top1_mean']
    text = (root / 'sweep' / 'summary.md').read_text()
    assert f'| VPT-deep | {mean:.1f} | - | - | - | - | {mean:.2f}* |' in text
    rows = list(csv.DictReader((root / 'sweep' / 'summary.csv').open()))
    assert rows[0]['method'] == 'VPT-deep'
    assert float(rows[0]['cub']) == pytest.approx(mean, abs=1e-4)


def test_second_invocation_skips_every_run(swept, capsys, monkeypatch):
    root, _ = swept
    monkeypatch.chdir(root)
    before = {path: os.stat(path).st_mtime_ns
              for path in root.glob('sweep/cub/*/*/sweep_result.json')}
    start = time.time()
    status = load_tool().main(['toy_cub.py', '--work-dir', 'sweep',
                               '--num-seeds', '2'])
    output = capsys.readouterr().out
    assert status == 0, output
    assert time.time() - start < 30
    assert output.count('skipped, finished') == 4
    assert 'runs: 0 trained, 4 skipped (already finished)' in output
    assert {path: os.stat(path).st_mtime_ns for path in before} == before


def test_dry_run_prints_the_plan_and_creates_nothing(swept, capsys,
                                                     monkeypatch):
    root, _ = swept
    monkeypatch.chdir(root)
    status = load_tool().main([
        'toy_cub.py', '--work-dir', 'fresh', '--seeds', '3', '4', '--wds',
        '0.01', '0', '--gpus', '2', '--dry-run', '--cfg-options',
        'model.backbone.prompt_cfg.num_tokens=2'
    ])
    output = capsys.readouterr().out
    assert status == 0
    assert not (root / 'fresh').exists()
    assert output.count(': to run (train train, score val)') == 4
    assert 'dist_train.sh toy_cub.py 2 --work-dir ' \
        'fresh/cub/tune/lr0.05_wd0_seed0 --cfg-options ' \
        'model.backbone.prompt_cfg.num_tokens=2 ' \
        'optim_wrapper.optimizer.lr=0.05 ' in output
    assert 'then: the best of the grid, re-run with seeds [3, 4]' in output
    assert 'dry run: nothing was run or written' in output


def test_aggregate_several_sweep_dirs(swept, capsys, tmp_path):
    root, _ = swept
    status = load_tool().main([
        '--aggregate', str(root / 'sweep'), str(root / 'sweep'),
        '--method-name', 'VPT-deep', 'Again', '--summary-dir',
        str(tmp_path / 'table')
    ])
    assert status == 0
    text = (tmp_path / 'table' / 'summary.md').read_text()
    assert '| VPT-deep | ' in text and '| Again | ' in text
    assert (tmp_path / 'table' / 'summary.csv').is_file()


def test_command_line_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tool = load_tool()
    with pytest.raises(SystemExit):
        tool.main([])
    with pytest.raises(SystemExit):
        tool.main(['--aggregate', 'a', 'b', '--method-name', 'x'])
    assert tool.main(['missing.py', '--dry-run']) == 2
    assert 'no file at' in capsys.readouterr().err
    (tmp_path / 'bare.py').write_text("task_name = 'cub'\n")
    assert tool.main([str(tmp_path / 'bare.py'), '--dry-run']) == 2
    assert 'protocol = dict(' in capsys.readouterr().err


def test_dry_run_of_a_prompt_length_grid(tmp_path, capsys, monkeypatch):
    """--num-tokens (or sweep_grid.num_tokens) adds p to the grid."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'toy_cub.py').write_text(
        TASK_CONFIG.format(smoke=SMOKE, data=str(tmp_path / 'data')))
    tool = load_tool()
    status = tool.main(['toy_cub.py', '--num-tokens', '1', '3', '--lrs',
                        '0.5', '--num-seeds', '1', '--dry-run'])
    output = capsys.readouterr().out
    assert status == 0, output
    assert '1 lr x 1 wd x 2 prompt length(s) [1, 3] x 1 seed(s)' in output
    assert 'tune lr0.5_wd0.001_p3_seed0: to run' in output
    assert '--work-dir work_dirs/sweep/cub/tune/lr0.5_wd0.001_p1_seed0 ' \
        '--cfg-options optim_wrapper.optimizer.lr=0.5 ' \
        'optim_wrapper.optimizer.weight_decay=0.001 ' \
        'model.backbone.prompt_cfg.num_tokens=1 ' in output
    assert not (tmp_path / 'work_dirs').exists()
    # the swept key cannot be set by hand; an unknown grid key is named
    assert tool.main(['toy_cub.py', '--num-tokens', '1', '--dry-run',
                      '--cfg-options',
                      'model.backbone.prompt_cfg.num_tokens=2']) == 2
    assert '--num-tokens' in capsys.readouterr().err
    assert tool.main(['toy_cub.py', '--dry-run', '--cfg-options',
                      'sweep_grid.prompt_len=[1,2]']) == 2
    assert "unknown key(s) ['prompt_len']" in capsys.readouterr().err
