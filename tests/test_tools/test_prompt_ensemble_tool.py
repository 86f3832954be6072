"""``tools/test.py CONFIG --prompt-ensemble CKPT [CKPT ...]`` (Fig. 15) on
the tiny smoke config: two runs' delta files on one pretrained backbone,
evaluated by the tool's runner, predict the softmax of the mean of the two
runs' logits computed one run at a time."""
import copy
import importlib.util
import os.path as osp
import pickle
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS

from vpt_mm.models.delta import save_delta
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')


def load_test_tool():
    spec = importlib.util.spec_from_file_location(
        'vpt_mm_test_tool', osp.join(ROOT, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """A config on a pretrained tiny backbone, and two runs' deltas."""
    root = tmp_path_factory.mktemp('ensemble_tool')
    data = root / 'data'
    write_toy_fgvc(str(data), split_sizes=dict(train=1, val=1, test=3))
    torch.manual_seed(0)
    pretrained = build(Config.fromfile(SMOKE))
    pretrained.init_weights()
    torch.save({
        'state_dict': {
            key: value
            for key, value in pretrained.state_dict().items()
            if key.startswith('backbone.') and '.prompt.' not in key
        }
    }, root / 'pretrained.pth')
    config = root / 'ensemble_cfg.py'
    loaders = '\n'.join(
        f"{split}_dataloader = dict(dataset=dict(data_root='{data}'))"
        for split in ('train', 'val', 'test'))
    config.write_text(
        f"_base_ = '{SMOKE}'\n"
        'model = dict(backbone=dict(init_cfg=dict(\n'
        "    _delete_=True, type='Pretrained',\n"
        f"    checkpoint='{root / 'pretrained.pth'}', prefix='backbone.')))\n"
        f'{loaders}\n')
    cfg = Config.fromfile(str(config))
    models, deltas = [], []
    for seed in (1, 2):
        model = build(cfg)
        model.init_weights()  # the pretrained backbone, fresh prompts
        torch.manual_seed(seed)
        with torch.no_grad():
            for param in model.parameters():
                if param.requires_grad:  # prompts and head: "trained"
                    param.add_(torch.randn_like(param))
        deltas.append(str(root / f'seed{seed}.delta.safetensors'))
        save_delta(model, deltas[-1], config=str(config))
        models.append(model.eval())
    return root, cfg, str(config), models, deltas


def test_ensemble_predicts_the_mean_of_the_runs_logits(runs, capsys):
    root, cfg, config, models, deltas = runs
    load_test_tool().main([
        config, '--prompt-ensemble', *deltas, '--work-dir',
        str(root / 'work'), '--out', str(root / 'preds.pkl')
    ])
    printed = capsys.readouterr().out
    with open(root / 'preds.pkl', 'rb') as file:
        predictions = pickle.load(file)

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    batch = models[0].data_preprocessor(
        pseudo_collate([dataset[i] for i in range(len(dataset))]), False)
    with torch.no_grad():
        logits = torch.stack(
            [model(batch['inputs'], mode='tensor') for model in models])
    expected = logits.mean(0).softmax(-1)
    assert len(predictions) == len(dataset) == 12
    for prediction in predictions:
        index = prediction['sample_idx']
        torch.testing.assert_close(prediction['pred_score'], expected[index])
    # an ensemble, not one of its runs
    for single in logits.softmax(-1):
        assert not torch.allclose(single, expected, atol=1e-3)
    labels = torch.tensor([int(s.gt_label) for s in batch['data_samples']])
    accuracy = (expected.argmax(-1) == labels).float().mean() * 100
    match = re.search(r"'accuracy/top1': ([\d.]+)", printed)
    assert match, printed
    assert float(match.group(1)) == pytest.approx(float(accuracy), abs=1e-3)


@pytest.mark.parametrize('argv, message', [
    (['ckpt.pth', '--prompt-ensemble', 'a', 'b'], 'not both'),
    ([], 'checkpoint: give a checkpoint file'),
    (['--prompt-ensemble', 'nope.delta.safetensors'],
     '--prompt-ensemble: no file at nope.delta.safetensors'),
])
def test_ensemble_arguments_are_checked_first(runs, argv, message):
    _, _, config, _, _ = runs
    with pytest.raises(SystemExit, match=re.escape(message)):
        load_test_tool().main([config, *argv])


def test_runs_of_another_prompt_length_are_one_clear_error(runs):
    root, _, config, _, deltas = runs
    with pytest.raises(SystemExit,
                       match=r'--prompt-ensemble: .*"prompt_cfg.num_tokens" '
                       r'is 4 in the delta but 6'):
        load_test_tool().main([
            config, '--prompt-ensemble', *deltas, '--work-dir',
            str(root / 'bad'), '--cfg-options',
            'model.backbone.prompt_cfg.num_tokens=6'
        ])
