"""TensorBoard as a user turns it on: the README's config line adds
mmengine's TensorboardVisBackend to a config inheriting the smoke config,
and a tiny run (built as tools/train.py builds it) writes an event file
holding the training loss and the validation metric, next to the
scalars.json the sweep reads."""
import argparse
import glob
import os.path as osp

import pytest

from vpt_mm.apis.runner import build_runner, load_config
from vpt_mm.testing import write_toy_fgvc

pytest.importorskip('tensorboard', reason='tensorboard is not installed '
                    '(the [tensorboard] extra, part of [all])')
from tensorboard.backend.event_processing.event_accumulator import \
    EventAccumulator  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
# the line the README documents
TENSORBOARD = ("visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
               "dict(type='TensorboardVisBackend')])")


def test_tiny_run_writes_loss_and_metric(tmp_path, restore_default_scope):
    data = str(tmp_path / 'data')
    write_toy_fgvc(data)
    config = tmp_path / 'tensorboard.py'
    config.write_text(f'_base_ = {CONFIG!r}\n{TENSORBOARD}\n')
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args([
        '--cfg-options', f'data_root={data}',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=2'
    ]).cfg_options
    args = argparse.Namespace(
        config=str(config), cfg_options=options, launcher='none', local_rank=0,
        work_dir=str(tmp_path / 'work'))
    build_runner(load_config(args)).train()
    events = glob.glob(
        str(tmp_path / 'work' / '*' / 'vis_data' / 'events.out.tfevents.*'))
    assert len(events) == 1, events
    assert glob.glob(str(tmp_path / 'work' / '*' / 'vis_data' /
                         'scalars.json'))
    accumulator = EventAccumulator(events[0])
    accumulator.Reload()
    scalars = accumulator.Tags()['scalars']
    assert 'loss' in scalars and 'accuracy/top1' in scalars, scalars
    losses = [event.value for event in accumulator.Scalars('loss')]
    assert [event.step for event in accumulator.Scalars('loss')] == [1, 2]
    assert all(loss > 0 for loss in losses), losses
    top1 = accumulator.Scalars('accuracy/top1')
    assert len(top1) == 1 and 0 <= top1[0].value <= 100
