"""Many tasks on one frozen backbone in one batch: each sample's logits
equal its own task's model; tasks come and go without touching the
backbone; tasks that cannot share the batch, and deltas of another
backbone, are refused."""
import copy

import pytest
import torch

from vpt_mm.checkpoint.delta import DeltaBindingError
from vpt_mm.models.delta import load_delta
from vpt_mm.models.multitask import (MultiTaskClassifier,
                                     UnsupportedTaskError, task_config)
from vpt_mm.models.multitask.model import _build
from vpt_mm.models.multitask.synthetic import (write_pretrained,
                                               write_synthetic_tasks)
from vpt_mm.models.multitask.synthetic import TINY_VIT
from vpt_mm.checkpoint.delta import read_delta

TASKS = dict(
    linear=dict(num_tokens=0),
    shallow3=dict(num_tokens=3),
    shallow5=dict(num_tokens=5, deep=False),
    deep2=dict(num_tokens=2, deep=True),
    deep6=dict(num_tokens=6, deep=True, dropout=0.1),
)


@pytest.fixture(scope='module')
def written(tmp_path_factory):
    work = str(tmp_path_factory.mktemp('tasks'))
    return write_synthetic_tasks(
        work, TASKS, num_classes=dict(linear=3, shallow3=4, shallow5=5,
                                      deep2=6, deep6=7))


def single_task_logits(delta_file, images):
    """The task's own model: its config, the pretrained backbone, the
    delta (bound), one forward."""
    _, meta = read_delta(delta_file)
    model = _build(task_config(meta, delta_file))
    model.init_weights()
    load_delta(model, delta_file)
    with torch.no_grad():
        return model.eval()(images, mode='tensor')


def test_mixed_batch_equals_each_tasks_own_model(written):
    base, files = written
    model = MultiTaskClassifier(base)
    for name, path in files.items():
        model.add_task(name, path)
    assert {t['name']: t['kind'] for t in model.describe()} == dict(
        linear='linear', shallow3='shallow', shallow5='shallow',
        deep2='prefix', deep6='prefix')
    assert all(t['fingerprint_check'] == 'ok' for t in model.describe())
    torch.manual_seed(0)
    images = torch.randn(12, 3, 32, 32)
    names = list(files) * 2 + ['deep6', 'linear']
    calls = []
    model.backbone.patch_embed.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    mixed = model(images, names)
    assert calls == [12]  # one backbone forward for the whole batch
    for name, path in files.items():
        index = [i for i, n in enumerate(names) if n == name]
        own = single_task_logits(path, images[index])
        got = torch.stack([mixed[i] for i in index])
        assert got.shape == own.shape
        torch.testing.assert_close(got, own, atol=1e-5, rtol=0)
    # a batch of one task only: the same answers
    alone = model(images[:2], ['deep2', 'deep2'])
    torch.testing.assert_close(torch.stack(alone),
                               single_task_logits(files['deep2'],
                                                  images[:2]),
                               atol=1e-5, rtol=0)


def test_tasks_come_and_go_on_the_same_backbone(written):
    base, files = written
    model = MultiTaskClassifier(base)
    weights = {k: v for k, v in model.backbone.state_dict().items()}
    backbone = model.backbone
    model.add_task('deep2', files['deep2'])
    images = torch.randn(2, 3, 32, 32)
    first = model(images, ['deep2', 'deep2'])
    model.add_task('linear', files['linear'])
    model.remove_task('deep2')
    with pytest.raises(KeyError, match="unknown task 'deep2'"):
        model(images, ['deep2', 'linear'])
    model.add_task('deep2', files['deep2'])
    again = model(images, ['linear', 'deep2'])
    torch.testing.assert_close(again[1], first[1], atol=1e-6, rtol=0)
    assert model.backbone is backbone
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, weights[key]), key
    with pytest.raises(ValueError, match="task 'linear' is already served"):
        model.add_task('linear', files['linear'])
    with pytest.raises(ValueError, match='task name'):
        model.add_task('../x', files['linear'])


def test_a_delta_of_another_backbone_is_refused(written, tmp_path):
    base, files = written
    other = write_pretrained(str(tmp_path / 'other.pth'), TINY_VIT, seed=7)
    other_base = copy.deepcopy(base)
    other_base.model.backbone.init_cfg.checkpoint = other
    model = MultiTaskClassifier(other_base)
    with pytest.raises(DeltaBindingError,
                       match='deep2.delta.safetensors: the delta was '
                       'trained on backbone'):
        model.add_task('deep2', files['deep2'])
    assert len(model.tasks) == 0
    allowed = MultiTaskClassifier(other_base, allow_other_backbone=True)
    task = allowed.add_task('deep2', files['deep2'])
    assert task.describe()['fingerprint_check'] == \
        'other backbone (allowed)'


@pytest.mark.parametrize('wrapper, key', [
    ('BiasTuning', 'bias'),
    ('AdapterTuning', 'adapter'),
])
def test_bias_and_adapter_tasks_are_refused(written, tmp_path, wrapper,
                                            key):
    """Bias and Adapter change the backbone's own modules per task: they
    cannot share one frozen backbone's batch (the documented rule)."""
    base, files = written
    _, meta = read_delta(files['linear'])
    cfg = task_config(meta, files['linear'])
    cfg.model.backbone = dict(type=wrapper, module=cfg.model.backbone)
    peft = _build(cfg)
    peft.init_weights()
    from vpt_mm.models.delta import save_delta
    path = str(tmp_path / f'{wrapper}.delta.safetensors')
    save_delta(peft, path, extra_meta=dict(config_text=cfg.pretty_text))
    model = MultiTaskClassifier(base)
    with pytest.raises(UnsupportedTaskError,
                       match=f'{wrapper}.delta.safetensors: the backbone is '
                       f'{wrapper}.*Linear, VPT-shallow and VPT-deep'):
        model.add_task('peft', path)


def test_other_prompt_forms_are_refused(written, tmp_path):
    base, files = written
    _, meta = read_delta(files['deep2'])
    cfg = task_config(meta, files['deep2'])
    cfg.model.backbone.prompt_cfg = dict(num_tokens=2, deep=True,
                                         deep_mode='token')
    run = _build(cfg)
    run.init_weights()
    from vpt_mm.models.delta import save_delta
    path = str(tmp_path / 'token.delta.safetensors')
    save_delta(run, path, extra_meta=dict(config_text=cfg.pretty_text))
    model = MultiTaskClassifier(base)
    with pytest.raises(UnsupportedTaskError,
                       match="layer 0 takes its prompts as 'token'"):
        model.add_task('token', path)
