"""ResumableRunner in process, on the smoke config (a 2-layer, 32-wide ViT,
prompt dropout 0.1, toy FGVC images): strict load_from and --resume,
epoch-based resume bit for bit, and checkpoints a kill at any point of
the write leaves resumable."""
import argparse
import os
import os.path as osp

import pytest
import torch

from vpt_mm.apis.runner import build_runner, load_config
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
from vpt_mm.engine import AtomicCheckpointHook, ResumeError
from vpt_mm.engine.hooks import atomic_checkpoint_hook, delta_checkpoint_hook
from vpt_mm.engine.runner import check_resumable
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
pytestmark = pytest.mark.usefixtures('restore_default_scope')
_RUNS = iter(range(1000))


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    write_toy_fgvc(str(root), split_sizes=dict(train=4, val=2, test=2))
    return str(root)


def make_cfg(data, work_dir, validate=False, **options):
    """The smoke config on ``data``, checkpoints every iteration."""
    cfg_options = {
        f'{loader}.dataset.data_root': data
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    }
    cfg_options.update({
        'data_root': data,
        'train_cfg.max_iters': 2,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 1,
        'default_hooks.logger.interval': 1
    })
    cfg_options.update(options)
    args = argparse.Namespace(
        config=CONFIG, cfg_options=cfg_options, work_dir=str(work_dir),
        launcher='none', local_rank=0)
    cfg = load_config(args)
    cfg.experiment_name = f'resumable_{next(_RUNS)}'
    if not validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    return cfg


def load(path):
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        return torch.load(str(path), map_location='cpu')


def weights_of(runner, tmp_path, change=None):
    """The runner's model weights in a file ({'state_dict'}, as load_from
    takes), with one ``change``: a prompt of another length, a key
    missing, an extra key."""
    state = dict(runner.model.state_dict())
    if change == 'shape':
        state['backbone.prompt.shallow_prompt'] = torch.zeros(1, 6, 32)
    elif change == 'missing':
        del state['head.fc.bias']
    elif change == 'extra':
        state['backbone.extra'] = torch.zeros(1)
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': state}, str(path))
    return path


@pytest.mark.parametrize('change, named', [
    ('shape', ['backbone.prompt.shallow_prompt', '(1, 6, 32)',
               '(1, 4, 32)']),
    ('missing', ['missing', 'head.fc.bias']),
    ('extra', ['unexpected', 'backbone.extra']),
])
def test_load_from_is_strict(data, tmp_path, change, named):
    cfg = make_cfg(data, tmp_path / 'work')
    runner = build_runner(cfg)
    path = weights_of(runner, tmp_path, change)
    runner._load_from = str(path)
    with pytest.raises(CheckpointMismatchError) as error:
        runner.load_or_resume()
    message = str(error.value)
    assert '\n' not in message and str(path) in message
    for word in named:
        assert word in message


def test_resume_refuses_a_delta_and_a_weights_only_file(data, tmp_path):
    delta = tmp_path / 'iter_3.delta.safetensors'
    delta.write_bytes(b'not read')
    with pytest.raises(ResumeError, match=r'iter_3\.pth\)'):
        check_resumable(str(delta))
    cfg = make_cfg(data, tmp_path / 'work')
    runner = build_runner(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    with pytest.raises(ResumeError, match='is a delta'):
        runner.resume(str(delta))
    # weights without 'meta': what load_from takes, not --resume
    path = weights_of(runner, tmp_path)
    with pytest.raises(ResumeError, match='not a training checkpoint'):
        runner.resume(str(path))
    runner.load_checkpoint(str(path))  # but load_from takes it


def loss_history(path):
    return load(path)['message_hub']['log_scalars']['train/loss'].data[0]


def test_epoch_based_resume_equals_the_uninterrupted_run(data, tmp_path):
    """Two epochs of 2 iterations with validation after each; resumed from
    epoch 1, prompts, head and losses are the uninterrupted run's."""
    epochs = {
        'train_dataloader.sampler': dict(type='DefaultSampler',
                                         shuffle=True),
        'train_dataloader.batch_size': 12,
        'default_hooks.checkpoint.by_epoch': True,
        'default_hooks.checkpoint.max_keep_ckpts': 2,
    }
    cfg = make_cfg(data, tmp_path / 'full', validate=True, **epochs)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
    build_runner(cfg).train()
    cfg = make_cfg(data, tmp_path / 'resumed', validate=True, **epochs)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
    cfg.resume, cfg.load_from = True, str(tmp_path / 'full' / 'epoch_1.pth')
    build_runner(cfg).train()
    full = load(tmp_path / 'full' / 'epoch_2.pth')
    resumed = load(tmp_path / 'resumed' / 'epoch_2.pth')
    iters = full['meta']['iter']  # 2 epochs of 24 images by 12
    assert resumed['meta']['iter'] == iters == 4
    for key, value in full['state_dict'].items():
        assert torch.equal(resumed['state_dict'][key], value), key
    losses = loss_history(tmp_path / 'full' / 'epoch_2.pth')
    assert len(losses) == iters
    assert (loss_history(tmp_path / 'resumed' / 'epoch_2.pth') == losses
            ).all()


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def kill_on_call(function, call):
    """``function``, except that its ``call``-th call is a kill."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Killed
        return function(*args, **kwargs)

    return wrapped


def half_write(checkpoint, path, **kwargs):
    with open(path, 'wb') as file:
        file.write(b'PK\x03\x04 half a checkpoint')
    raise Killed


# the second checkpoint: its save, last_delta (3rd pointer written),
# last_checkpoint (4th), the removal of iter_1.pth (max_keep_ckpts=1)
KILL_POINTS = ['writing the checkpoint', 'before last_delta',
               'before last_checkpoint', 'before pruning']


@pytest.mark.parametrize('point', KILL_POINTS)
def test_a_kill_while_checkpointing_leaves_a_resumable_pair(
        data, tmp_path, monkeypatch, point):
    from mmengine.runner import runner as host_runner
    work_dir = tmp_path / 'work'
    if point == 'writing the checkpoint':
        original = host_runner.save_checkpoint

        def save(checkpoint, path, **kwargs):
            if osp.basename(path).startswith('.iter_2.pth'):
                half_write(checkpoint, path)
            return original(checkpoint, path, **kwargs)

        monkeypatch.setattr(host_runner, 'save_checkpoint', save)
    elif point == 'before pruning':
        monkeypatch.setattr(
            AtomicCheckpointHook, '_remove',
            kill_on_call(AtomicCheckpointHook._remove, 1))
    else:
        write = kill_on_call(atomic_checkpoint_hook.write_pointer,
                             3 if point == 'before last_delta' else 4)
        monkeypatch.setattr(atomic_checkpoint_hook, 'write_pointer', write)
        monkeypatch.setattr(delta_checkpoint_hook, 'write_pointer', write)
    with pytest.raises(Killed):
        build_runner(make_cfg(data, work_dir)).train()
    monkeypatch.undo()
    # the pointers name complete files: a checkpoint and a delta whose
    # checkpoint is there
    last = (work_dir / 'last_checkpoint').read_text()
    expected = 'iter_2.pth' if point == 'before pruning' else 'iter_1.pth'
    assert osp.basename(last) == expected
    assert load(last)['meta']['iter'] == int(expected[5])
    delta = (work_dir / 'last_delta').read_text()
    assert osp.isfile(delta.replace('.delta.safetensors', '.pth'))
    if point == 'writing the checkpoint':  # no half file under its name
        assert not osp.exists(work_dir / 'iter_2.pth')
    # resume (the latest checkpoint) finishes the run
    cfg = make_cfg(data, work_dir)
    cfg.resume = True
    build_runner(cfg).train()
    assert osp.basename(
        (work_dir / 'last_checkpoint').read_text()) == 'iter_2.pth'
    assert load(work_dir / 'iter_2.pth')['meta']['iter'] == 2
    if point != 'before pruning':  # else left over, not pointed to
        assert not osp.exists(work_dir / 'iter_1.pth')  # max_keep_ckpts=1
    assert not [name for name in os.listdir(work_dir) if '.tmp' in name]
