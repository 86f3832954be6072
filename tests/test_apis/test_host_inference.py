"""The hosts' own inference APIs on vpt_mm's files, after ``import
vpt_mm.modules``: a run's ``iter_N.pth`` (weights-only, the data-only
allow-list) and a delta on the config's pretrained backbone (or a clear
refusal), never numbers from an uninitialised backbone."""
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from vpt_mm.checkpoint.delta import DeltaBindingError
from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
from vpt_mm.models.delta import save_delta
from vpt_mm.testing import write_toy_ade20k, write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')
SEG = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_fcn_toy-ade20k.py')


# runners and mmseg's init_model set a global default scope (conftest.py)
pytestmark = pytest.mark.usefixtures('restore_default_scope')


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """A 2-iteration run of the smoke config on a pretrained backbone:
    its iter_2.pth and iter_2.delta.safetensors."""
    root = tmp_path_factory.mktemp('host_inference')
    write_toy_fgvc(str(root / 'data'), split_sizes=dict(train=2, val=1,
                                                         test=1))
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(SMOKE).model)
    model.init_weights()
    torch.save({'state_dict': {
        key: value for key, value in model.state_dict().items()
        if key.startswith('backbone.') and '.prompt.' not in key}},
        root / 'pretrained.pth')
    loaders = '\n'.join(
        f"{split}_dataloader = dict(dataset=dict(data_root='{root}/data'))"
        for split in ('train', 'val', 'test'))
    config = root / 'cfg.py'
    config.write_text(
        f"_base_ = '{SMOKE}'\n"
        'model = dict(backbone=dict(init_cfg=dict(\n'
        "    _delete_=True, type='Pretrained',\n"
        f"    checkpoint='{root}/pretrained.pth', prefix='backbone.')))\n"
        f'{loaders}\n'
        'train_cfg = dict(max_iters=2, val_interval=100)\n'
        'default_hooks = dict(checkpoint=dict(interval=2))\n'
        "custom_hooks = [dict(type='DeltaCheckpointHook')]\n")
    argv, cwd = sys.argv, osp.abspath('.')
    sys.argv = ['train.py', str(config), '--work-dir', str(root / 'work')]
    try:
        runpy.run_path(osp.join(ROOT, 'tools', 'train.py'),
                       run_name='__main__')
    finally:
        sys.argv = argv
        if osp.abspath('.') != cwd:
            import os
            os.chdir(cwd)
    image = sorted((root / 'data' / 'images').rglob('*.png'))[0]
    return root, str(config), str(root / 'work' / 'iter_2.pth'), str(
        root / 'work' / 'iter_2.delta.safetensors'), str(image)


def test_get_model_loads_a_run_checkpoint_and_a_delta(run):
    from mmpretrain import get_model
    root, config, pth, delta, _ = run
    full = get_model(config, pretrained=pth).eval()  # HistoryBuffer inside
    on_delta = get_model(config, pretrained=delta).eval()
    for key, value in full.state_dict().items():
        assert torch.equal(on_delta.state_dict()[key], value), key
    assert list(on_delta._dataset_meta['classes']) == list(
        full._dataset_meta['classes'])
    assert len(on_delta._dataset_meta['classes']) == 4


def test_image_classification_inferencer_on_the_delta(run):
    from mmpretrain import ImageClassificationInferencer
    _, config, pth, delta, image = run
    results = [
        ImageClassificationInferencer(model=config, pretrained=name,
                                      device='cpu')(image)[0]
        for name in (pth, delta)
    ]
    np.testing.assert_allclose(results[0]['pred_scores'],
                               results[1]['pred_scores'], rtol=1e-5)
    assert results[1]['pred_class'] == results[0]['pred_class']


def test_a_delta_on_an_uninitialised_backbone_is_refused(run):
    from mmpretrain import ImageClassificationInferencer, get_model
    root, config, _, delta, _ = run
    bare = Config.fromfile(config)
    bare.model.backbone.init_cfg = None
    with pytest.raises(DeltaBindingError,
                       match=r'uninitialised .*merge_delta\.py'):
        get_model(bare, pretrained=delta)
    with pytest.raises(DeltaBindingError, match='uninitialised'):
        ImageClassificationInferencer(model=bare, pretrained=delta,
                                      device='cpu')


def test_mmseg_init_model_loads_a_run_checkpoint_and_refuses_a_delta(
        tmp_path, monkeypatch):
    from mmengine.runner import Runner
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    write_toy_ade20k(str(tmp_path / 'data'), split_sizes=dict(training=1,
                                                              validation=1))
    cfg = Config.fromfile(SEG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'data')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.checkpoint.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    pth = str(tmp_path / 'work' / 'iter_1.pth')
    model = init_model(SEG, pth, device='cpu')  # HistoryBuffer inside
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        full = torch.load(pth, map_location='cpu')
    for key, value in full['state_dict'].items():
        assert torch.equal(model.state_dict()[key], value), key
    image = sorted((tmp_path / 'data' / 'images').rglob('*.*'))[0]
    result = inference_model(model, str(image))
    assert result.pred_sem_seg.data.shape[-2:] == (48, 48)
    out = MMSegInferencer(model=SEG, weights=pth, device='cpu')(
        str(image), return_datasamples=True)
    assert torch.equal(out.pred_sem_seg.data, result.pred_sem_seg.data)

    delta = str(tmp_path / 'iter_1.delta.safetensors')
    save_delta(runner.model, delta, config=SEG)
    with pytest.raises(DeltaBindingError, match='uninitialised'):
        init_model(SEG, delta, device='cpu')
    # the smoke config has no pretrained backbone: refused, never predicted
    with pytest.raises(DeltaBindingError, match='uninitialised'):
        MMSegInferencer(model=SEG, weights=delta, device='cpu')


def test_host_test_tool_runner_with_load_from_a_delta(run, tmp_path):
    """mmpretrain's tools/test.py: a Runner with ``load_from`` (a delta or
    the run's checkpoint) and ``test()``: the same weights and scores."""
    from mmengine.runner import Runner
    _, config, pth, delta, _ = run
    metrics, states = [], []
    for name, load_from in (('pth', pth), ('delta', delta)):
        cfg = Config.fromfile(config)
        cfg.load_from = load_from
        cfg.work_dir = str(tmp_path / name)
        runner = Runner.from_cfg(cfg)
        metrics.append(runner.test())
        states.append(runner.model.state_dict())
    assert metrics[0] == metrics[1]
    assert 'accuracy/top1' in metrics[1]
    for key, value in states[0].items():  # the backbone too: not random
        assert torch.equal(states[1][key], value), key
