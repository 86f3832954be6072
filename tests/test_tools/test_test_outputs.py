"""tools/test.py's host flags: --out DIR writes PNG label maps and
--show-dir ground truth | prediction overlays for a segmentation config
(as mmseg's test.py); --out-item and the flag errors as mmpretrain's."""
import glob
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from test_setr_train_test_resume import (  # noqa: F401  (fixtures)
    ROOT, as_arguments, one_thread_no_mkldnn, run_tool, setup, vpt_run)

from vpt_mm.apis.test_outputs import add_output_args, prepare_outputs


def test_segmentation_out_dir_and_show_dir(setup, vpt_run):  # noqa: F811
    root, _, options = setup
    config, work_dir, _ = vpt_run
    out, show = root / 'label_maps', root / 'show'
    # its own process, as from the command line: this process's training
    # runs made the named visualizer, which a new Runner would reuse
    subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), config,
         str(work_dir / 'iter_2.delta.safetensors'), '--out', str(out),
         '--show-dir', str(show), *as_arguments(options), '--work-dir',
         str(root / 'test_out')],
        check=True, cwd=ROOT, capture_output=True)
    images = sorted(glob.glob(str(root / 'data' / 'images' / 'validation' /
                                  '*.jpg')))
    maps = sorted(glob.glob(str(out / '*.png')))
    assert [osp.basename(p)[:-4] for p in maps] == \
        [osp.basename(p)[:-4] for p in images]
    for path, image in zip(maps, images):
        label = np.asarray(Image.open(path))
        # one class per pixel, the image's size; ADE20K's labels 1..150
        assert label.ndim == 2
        assert label.shape == np.asarray(Image.open(image)).shape[:2]
        assert 1 <= label.min() and label.max() <= 150
    drawn = sorted(glob.glob(str(show / '**' / '*.png'), recursive=True))
    assert len(drawn) == len(images)
    for path, image in zip(drawn, images):
        height, width = np.asarray(Image.open(image)).shape[:2]
        # ground truth | prediction, side by side
        assert np.asarray(Image.open(path)).shape[:2] == (height, 2 * width)


def test_classification_out_item_metrics(setup, vpt_run,  # noqa: F811
                                         tmp_path):
    """--out-item is mmpretrain's; a segmentation config refuses it."""
    root, _, options = setup
    config, work_dir, _ = vpt_run
    with pytest.raises(SystemExit, match='--out-item: classification only'):
        run_tool('test.py', config, str(work_dir / 'iter_2.pth'), '--out',
                 str(tmp_path / 'm.pkl'), '--out-item', 'metrics',
                 *as_arguments(options), work_dir=root / 'test_item')


def parsed(*argv):
    import argparse
    parser = argparse.ArgumentParser()
    add_output_args(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize('argv,match', [
    (('--out-item', 'metrics'), '--out-item: give --out FILE'),
    (('--show', '--interval', '0'), '--interval: must be >= 1'),
    (('--show', ), 'no default_hooks.visualization'),
])
def test_bad_flags_are_one_line_errors(argv, match):
    from mmengine.config import Config
    cfg = Config(dict(default_scope='mmpretrain', default_hooks=dict()))
    with pytest.raises(SystemExit, match=match):
        prepare_outputs(cfg, parsed(*argv))


def test_classification_flags_as_mmpretrain():
    from mmengine.config import Config
    cfg = Config(dict(default_scope='mmpretrain', default_hooks=dict(
        visualization=dict(type='VisualizationHook', enable=False))))
    prepare_outputs(cfg, parsed('--show-dir', 'vis', '--interval', '3',
                                '--wait-time', '0.5', '--out', 'p.pkl'))
    assert cfg.default_hooks.visualization == dict(
        type='VisualizationHook', enable=True, show=False, wait_time=0.5,
        out_dir='vis', interval=3)
    assert 'test_evaluator' not in cfg


def test_mmseg_inferencer_on_a_run_checkpoint_and_its_delta(
        setup, vpt_run):  # noqa: F811
    """mmseg's MMSegInferencer on our config (after ``import
    vpt_mm.modules``): the run's checkpoint and its delta on the config's
    pretrained backbone predict the same label map."""
    import torch
    from mmengine.config import Config
    from mmseg.apis import MMSegInferencer

    import vpt_mm.modules  # noqa: F401
    root, _, options = setup
    config, work_dir, _ = vpt_run
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    image = sorted(glob.glob(str(root / 'data' / 'images' / 'validation' /
                                 '*.jpg')))[0]
    preds = {}
    for name in ('iter_2.pth', 'iter_2.delta.safetensors'):
        inferencer = MMSegInferencer(model=cfg.copy(),
                                     weights=str(work_dir / name),
                                     device='cpu')
        preds[name] = inferencer(image, return_datasamples=True)
    full, delta = (p.pred_sem_seg.data for p in preds.values())
    assert full.shape[-2:] == np.asarray(Image.open(image)).shape[:2]
    assert torch.equal(full, delta)
    # the delta carries the classes and palette mmseg's visualizer needs
    assert len(inferencer.model.dataset_meta['palette']) == len(
        inferencer.model.dataset_meta['classes'])
    out = work_dir / 'inferencer'
    inferencer(image, out_dir=str(out))
    assert len(os.listdir(out / 'vis')) == len(os.listdir(out / 'pred')) == 1
