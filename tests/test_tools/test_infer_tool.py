"""``tools/infer.py`` on a folder of images: a classification smoke config
with a delta (top-k with class names, the same scores as the run's
checkpoint) and a segmentation smoke config with a run's checkpoint (PNG
label maps and overlays)."""
import importlib.util
import json
import os.path as osp
import shutil

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from vpt_mm.apis.infer import list_images
from vpt_mm.testing import write_toy_ade20k, write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')
SEG = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_fcn_toy-ade20k.py')


# runners and mmseg's init_model set a global default scope (conftest.py)
pytestmark = pytest.mark.usefixtures('restore_default_scope')


def infer_tool():
    spec = importlib.util.spec_from_file_location(
        'vpt_mm_infer_tool', osp.join(ROOT, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(cfg, work_dir, data_root, iters=1):
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.checkpoint.interval = iters
    Runner.from_cfg(cfg).train()


def test_classification_folder_with_a_delta(tmp_path, capsys):
    write_toy_fgvc(str(tmp_path / 'data'),
                   split_sizes=dict(train=2, val=1, test=1))
    torch.manual_seed(0)
    pretrained = tmp_path / 'pretrained.pth'
    cfg = Config.fromfile(SMOKE)
    # the pretrained backbone: a first (random) model's frozen weights
    from vpt_mm.apis.model import build_model_from_config
    model = build_model_from_config(cfg)
    model.init_weights()
    torch.save({'state_dict': {
        key: value for key, value in model.state_dict().items()
        if key.startswith('backbone.') and '.prompt.' not in key}},
        pretrained)
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(pretrained), prefix='backbone.')
    cfg.custom_hooks = [dict(type='DeltaCheckpointHook')]
    train(cfg, tmp_path / 'work', tmp_path / 'data', iters=2)
    config = str(tmp_path / 'work' / 'cfg.py')
    cfg.dump(config)
    folder = tmp_path / 'photos'
    folder.mkdir()
    for image in sorted((tmp_path / 'data' / 'images' / 'test').iterdir()):
        shutil.copy(image, folder / image.name)
    (folder / 'notes.md').write_text('not an image')

    outs = {}
    for name in ('iter_2.delta.safetensors', 'iter_2.pth'):
        out = str(tmp_path / f'{name}.json')
        infer_tool().main([config, str(tmp_path / 'work' / name),
                           str(folder), '--out', out, '--topk', '3',
                           '--show-dir', str(tmp_path / 'shown'),
                           '--device', 'cpu'])
        with open(out) as file:
            outs[name] = json.load(file)
    printed = capsys.readouterr().out
    results = outs['iter_2.delta.safetensors']
    assert [osp.basename(r['image']) for r in results] == sorted(
        p.name for p in folder.glob('*.png'))
    for result, full in zip(results, outs['iter_2.pth']):
        assert len(result['topk']) == 3
        assert {item['class'] for item in result['topk']} <= {
            '0', '1', '2', '3'}
        scores = [item['score'] for item in result['topk']]
        assert scores == sorted(scores, reverse=True)
        # the delta on the config's backbone: the run's own predictions
        assert [i['label'] for i in result['topk']] == [
            i['label'] for i in full['topk']]
        np.testing.assert_allclose(scores, [i['score'] for i in full['topk']],
                                   atol=1e-5)
        assert osp.isfile(result['shown_file'])
    assert '[>>' in printed or 'task/s' in printed  # the progress bar

    bare = str(tmp_path / 'bare.py')
    Config.fromfile(SMOKE).dump(bare)
    with pytest.raises(SystemExit, match='uninitialised'):
        infer_tool().main([bare, str(tmp_path / 'work' /
                                     'iter_2.delta.safetensors'),
                           str(folder), '--device', 'cpu'])


def test_segmentation_folder_with_a_run_checkpoint(tmp_path):
    write_toy_ade20k(str(tmp_path / 'data'),
                     split_sizes=dict(training=1, validation=2))
    cfg = Config.fromfile(SEG)
    train(cfg, tmp_path / 'work', tmp_path / 'data')
    folder = tmp_path / 'data' / 'images' / 'validation'
    images = list_images(str(folder))
    listing = tmp_path / 'list.txt'
    listing.write_text('\n'.join(osp.relpath(p, tmp_path) for p in images))
    assert list_images(str(listing)) == images
    show = tmp_path / 'vis'
    infer_tool().main([SEG, str(tmp_path / 'work' / 'iter_1.pth'),
                       str(listing), '--show-dir', str(show), '--out',
                       str(tmp_path / 'seg.json'), '--device', 'cpu'])
    with open(tmp_path / 'seg.json') as file:
        results = json.load(file)
    assert len(results) == len(images) == 2
    for result in results:
        image = mmcv.imread(result['image'])
        label_map = mmcv.imread(result['label_map_file'], flag='unchanged')
        assert label_map.shape == image.shape[:2]
        assert label_map.max() < 150
        present = sorted(np.unique(label_map).tolist())
        assert [c['label'] for c in result['classes']] == present
        assert sum(c['fraction'] for c in result['classes']) == \
            pytest.approx(1.0, abs=1e-4)
        overlay = mmcv.imread(result['overlay_file'])
        assert overlay.shape == image.shape


def test_bad_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no file or folder at'):
        list_images(str(tmp_path / 'nope'))
    with pytest.raises(FileNotFoundError, match='no image'):
        list_images(str(tmp_path))
    (tmp_path / 'l.txt').write_text('missing.png\n')
    with pytest.raises(FileNotFoundError, match='lists .*missing.png'):
        list_images(str(tmp_path / 'l.txt'))
