"""tools/analysis/tsne.py on two tiny runs of one toy task (a delta and a
.pth): one figure with a panel per run, the features and labels of every
test image, errors naming the run."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from vpt_mm.apis.model import build_model_from_config
from vpt_mm.apis.tsne import Run, extract_features, tsne_runs
from vpt_mm.sweep.plot import png_size
from vpt_mm.testing import write_toy_fgvc

pytest.importorskip('sklearn', reason="the t-SNE needs scikit-learn "
                    "(pip install 'vpt_mm[tsne]')")

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')
pytestmark = pytest.mark.usefixtures('restore_default_scope')


def tsne_tool():
    spec = importlib.util.spec_from_file_location(
        'vpt_mm_tsne_tool', osp.join(ROOT, 'tools', 'analysis', 'tsne.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def two_runs(tmp_path_factory):
    """VPT-deep (a delta) and VPT-shallow (a .pth), two iterations each on
    the toy set, on one pretrained backbone."""
    tmp = tmp_path_factory.mktemp('tsne')
    write_toy_fgvc(str(tmp / 'data'), split_sizes=dict(train=2, val=1,
                                                       test=4))
    torch.manual_seed(0)
    cfg = Config.fromfile(SMOKE)
    model = build_model_from_config(cfg)
    model.init_weights()
    pretrained = tmp / 'pretrained.pth'
    torch.save({'state_dict': {
        key: value for key, value in model.state_dict().items()
        if key.startswith('backbone.') and '.prompt.' not in key}},
        pretrained)
    runs = []
    for name, deep, checkpoint in (('VPT-deep', True,
                                    'iter_2.delta.safetensors'),
                                   ('VPT-shallow', False, 'iter_2.pth')):
        cfg = Config.fromfile(SMOKE)
        cfg.model.backbone.prompt_cfg.deep = deep
        cfg.model.backbone.init_cfg = dict(
            type='Pretrained', checkpoint=str(pretrained), prefix='backbone.')
        cfg.custom_hooks = [dict(type='DeltaCheckpointHook')]
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = str(tmp / 'data')
        cfg.work_dir = str(tmp / name)
        cfg.train_cfg.max_iters = 2
        cfg.train_cfg.val_interval = 100
        cfg.default_hooks.checkpoint.interval = 2
        Runner.from_cfg(cfg).train()
        config = str(tmp / f'{name}.py')
        cfg.dump(config)
        runs.append(Run(name, config, str(tmp / name / checkpoint)))
    return tmp, runs


def test_features_are_each_runs_on_every_test_image(two_runs):
    _, runs = two_runs
    feats = [extract_features(run) for run in runs]
    for features, labels in feats:
        assert features.shape == (16, 32) and features.dtype == np.float32
        assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    assert not np.allclose(feats[0][0], feats[1][0])  # other prompts
    # evenly spread: every class is among 8 of the 16 images
    features, labels = extract_features(runs[0], max_samples=8)
    assert features.shape == (8, 32) and set(labels.tolist()) == {0, 1, 2, 3}
    np.testing.assert_allclose(features, feats[0][0][np.unique(
        np.linspace(0, 15, 8).round().astype(int))], rtol=1e-5, atol=1e-6)


def test_tool_writes_one_figure_with_a_panel_per_run(two_runs, capsys):
    tmp, runs = two_runs
    out, scores = tmp / 'tsne.png', tmp / 'tsne.json'
    argv = ['--out', str(out), '--json', str(scores), '--perplexity', '5',
            '--device', 'cpu']
    for run in runs:
        argv += ['--run', *run]
    tsne_tool().main(argv)
    width, height = png_size(str(out))
    assert width > 1.5 * height  # two panels side by side
    silhouettes = json.loads(scores.read_text())
    assert list(silhouettes) == ['VPT-deep', 'VPT-shallow']
    assert all(-1 <= value <= 1 for value in silhouettes.values())
    printed = capsys.readouterr().out
    assert 'VPT-deep: 16 images' in printed and 'VPT-shallow' in printed


def test_runs_of_another_task_or_missing_files_are_refused(two_runs,
                                                           tmp_path):
    tmp, (deep, shallow) = two_runs
    cfg = Config.fromfile(shallow.config)
    write_toy_fgvc(str(tmp_path / 'other'), split_sizes=dict(
        train=1, val=1, test=3))
    cfg.test_dataloader.dataset.data_root = str(tmp_path / 'other')
    other = str(tmp_path / 'other.py')
    cfg.dump(other)
    with pytest.raises(ValueError, match='run other: its test set'):
        tsne_runs([deep, Run('other', other, shallow.checkpoint)],
                  perplexity=5)
    with pytest.raises(ValueError, match='repeated names'):
        tsne_runs([deep, deep])
    with pytest.raises(SystemExit, match='run x: no config at'):
        tsne_tool().main(['--out', str(tmp_path / 'a.png'), '--run', 'x',
                          str(tmp_path / 'none.py'), deep.checkpoint])
    with pytest.raises(SystemExit, match='checkpoint: no file at'):
        tsne_tool().main(['--out', str(tmp_path / 'a.png'), '--run', 'x',
                          deep.config, str(tmp_path / 'none.pth')])
