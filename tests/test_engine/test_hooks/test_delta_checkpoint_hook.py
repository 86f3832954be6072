"""DeltaCheckpointHook: a delta next to each checkpoint of a run that
trains part of the model, none (and one log line) for Full fine-tuning."""
import os.path as osp
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from vpt_mm.engine.hooks import DeltaCheckpointHook
from vpt_mm.checkpoint.delta import read_delta

TINY = dict(embed_dims=32, num_layers=1, num_heads=2,
            feedforward_channels=32)


def classifier(backbone_type, **backbone):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type=backbone_type, arch=TINY, img_size=16,
                          patch_size=8, **backbone),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=32)))


def fake_runner(model, work_dir):
    """What the hook reads of a runner: model, hooks, work_dir, cfg and
    the loop's progress (no CheckpointHook: by-iteration names)."""
    path = work_dir / 'run_cfg.py'
    path.write_text("model = dict(type='ImageClassifier')\n")
    cfg = Config.fromfile(str(path))
    return SimpleNamespace(
        model=model, hooks=[], work_dir=str(work_dir), cfg=cfg, epoch=0,
        iter=7, train_loop=SimpleNamespace())


@pytest.mark.parametrize('backbone, written', [
    (dict(backbone_type='VisionTransformer'), False),  # Full
    (dict(backbone_type='PromptedViT', prompt_cfg=dict(num_tokens=0)),
     True),  # Linear
    (dict(backbone_type='PromptedViT', prompt_cfg=dict(num_tokens=2)),
     True),  # VPT
])
def test_delta_written_unless_everything_trains(tmp_path, capsys, backbone,
                                                written):
    model = classifier(**backbone)
    runner = fake_runner(model, tmp_path)
    hook = DeltaCheckpointHook()
    # a fresh INFO logger: the one print_log(logger='current') writes to
    MMLogger.get_instance(f'delta_hook_{tmp_path.name}', log_level='INFO')
    capsys.readouterr()
    for step in (7, 14):
        runner.iter = step
        hook.before_save_checkpoint(runner, dict(meta=dict(iter=step)))
        if written and step == 14:  # the pointer waits for the .pth
            assert (tmp_path / 'last_delta').read_text() == str(
                tmp_path / 'iter_7.delta.safetensors')
        hook.commit_checkpoint(runner, str(tmp_path / f'iter_{step}.pth'))
    logs = capsys.readouterr().out.splitlines()
    deltas = [tmp_path / f'iter_{step}.delta.safetensors' for step in (7, 14)]
    assert [osp.isfile(path) for path in deltas] == [written] * 2
    skipped = [m for m in logs if 'no delta is written' in m]
    if not written:  # said once, not at every checkpoint
        assert len(skipped) == 1 and 'ImageClassifier' in skipped[0]
        assert not (tmp_path / 'last_delta').exists()
        return
    assert not skipped
    tensors, meta = read_delta(str(deltas[1]))
    trained = {key for key, param in model.named_parameters()
               if param.requires_grad}
    assert set(tensors) == trained and 'head.fc.weight' in trained
    assert meta['iter'] == '14' and meta['config'].endswith('run_cfg.py')
    assert "type='ImageClassifier'" in meta['config_text']
    assert (tmp_path / 'last_delta').read_text() == str(deltas[1])
