"""tools/train.py and tools/test.py end to end, as a user runs them."""
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')


def run_tool(tool, *args, cwd):
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', tool), *args],
        cwd=cwd, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return output


def run_checkpoint(path):
    from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        return torch.load(path, map_location='cpu')


def state_dict(path):
    return run_checkpoint(path)['state_dict']


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A 20-iteration run with a checkpoint every 10 iterations."""
    root = tmp_path_factory.mktemp('run')
    write_toy_fgvc(str(root / 'data'))
    work_dir = root / 'work'
    options = [
        '--cfg-options', f'data_root={root / "data"}',
        f'train_dataloader.dataset.data_root={root / "data"}',
        f'val_dataloader.dataset.data_root={root / "data"}',
        f'test_dataloader.dataset.data_root={root / "data"}',
        'train_cfg.max_iters=20', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=10'
    ]
    log = run_tool('train.py', CONFIG, '--work-dir', str(work_dir),
                   *options, cwd=str(root))
    return root, work_dir, options, log


def test_train_logs_trainable_and_saves(trained):
    _, work_dir, _, log = trained
    match = re.search(r'trainable ([\d,]+) / total ([\d,]+)', log)
    assert match, log[-2000:]
    trainable = int(match.group(1).replace(',', ''))
    # prompts: shallow (1, 4, 32) + deep (1, 4, 32); head: 32 * 4 + 4
    assert trainable == 4 * 32 * 2 + 32 * 4 + 4
    assert osp.isfile(work_dir / 'iter_10.pth')
    assert osp.isfile(work_dir / 'iter_20.pth')
    first, last = state_dict(work_dir / 'iter_10.pth'), state_dict(
        work_dir / 'iter_20.pth')
    for key in first:
        if key.startswith('backbone.') and '.prompt.' not in key:
            assert torch.equal(first[key], last[key]), key
    assert not torch.equal(first['backbone.prompt.deep_prompt'],
                           last['backbone.prompt.deep_prompt'])
    # the checkpoint holds optimizer state for trainable tensors only
    checkpoint = run_checkpoint(work_dir / 'iter_20.pth')
    assert len(checkpoint['optimizer']['state']) == 4


def loss_history(path):
    """Every iteration's loss, as the run's message hub keeps it."""
    scalars = run_checkpoint(path)['message_hub']['log_scalars']
    return scalars['train/loss'].data[0]


def test_kill_and_resume_equals_the_uninterrupted_run(trained):
    """SIGKILL a real run once its first checkpoint is complete, resume it
    (--resume, the latest checkpoint): with prompt dropout on (0.1) and
    random crops and flips, its prompts, head and every loss equal the
    uninterrupted run's bit for bit."""
    root, work_dir, options, _ = trained
    killed = root / 'killed'
    command = [
        sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
        '--work-dir', str(killed), *options
    ]
    process = subprocess.Popen(command, cwd=str(root),
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    # last_checkpoint is written once iter_10.pth is complete
    while not (killed / 'last_checkpoint').exists():
        assert process.poll() is None, 'the run ended before iteration 10'
        assert time.time() < deadline, 'no checkpoint within 240 s'
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not osp.exists(killed / 'iter_20.pth')
    log = run_tool('train.py', CONFIG, '--work-dir', str(killed),
                   '--resume', *options, cwd=str(root))
    assert 'resumed epoch: 0, iter: 10' in log
    assert 'Iter(train) [20/20]' in log
    resumed = state_dict(killed / 'iter_20.pth')
    uninterrupted = state_dict(work_dir / 'iter_20.pth')
    assert resumed.keys() == uninterrupted.keys()
    for key in uninterrupted:
        assert torch.equal(resumed[key], uninterrupted[key]), key
    losses = loss_history(killed / 'iter_20.pth')
    assert len(losses) == 20
    assert (losses == loss_history(work_dir / 'iter_20.pth')).all()


def test_test_tool_reports_accuracy(trained):
    root, work_dir, options, _ = trained
    log = run_tool('test.py', CONFIG, str(work_dir / 'iter_20.pth'),
                   '--work-dir', str(root / 'test'), '--out',
                   str(root / 'preds.pkl'), *options, cwd=str(root))
    match = re.search(r"'accuracy/top1': ([\d.]+)", log)
    assert match, log[-2000:]
    assert 0 <= float(match.group(1)) <= 100
    assert osp.isfile(root / 'preds.pkl')


def test_resume_with_missing_checkpoint_is_one_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
         '--resume', str(tmp_path / 'nope.pth')],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'nope.pth' in result.stderr.strip().splitlines()[-1]


def test_segmentation_config_trains_and_tests(tmp_path):
    from vpt_mm.testing import write_toy_ade20k
    write_toy_ade20k(str(tmp_path / 'data'))
    config = osp.join(ROOT, 'configs', 'smoke',
                      'vpt-deep_vit-tiny_fcn_toy-ade20k.py')
    options = ['--cfg-options'] + [
        f'{loader}.dataset.data_root={tmp_path / "data"}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    log = run_tool('train.py', config, '--work-dir', str(tmp_path / 'work'),
                   *options, cwd=str(tmp_path))
    assert 'Iter(train) [20/20]' in log
    first = state_dict(tmp_path / 'work' / 'iter_10.pth')
    last = state_dict(tmp_path / 'work' / 'iter_20.pth')
    for key in first:
        if key.startswith('backbone.') and '.prompt.' not in key:
            assert torch.equal(first[key], last[key]), key
    log = run_tool('test.py', config, str(tmp_path / 'work' / 'iter_20.pth'),
                   '--work-dir', str(tmp_path / 'test'), *options,
                   cwd=str(tmp_path))
    assert re.search(r"'mIoU': [\d.]+", log), log[-2000:]


def test_test_tool_rejects_a_checkpoint_of_another_prompt_length(trained):
    root, work_dir, options, _ = trained
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), CONFIG,
         str(work_dir / 'iter_20.pth'), '--work-dir', str(root / 'bad'),
         *options, 'model.backbone.prompt_cfg.num_tokens=6'],
        cwd=str(root), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'prompt.shallow_prompt' in result.stderr
    assert '(1, 4, 32)' in result.stderr
