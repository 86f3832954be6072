"""SETR-PUP configs end to end through tools/train.py and tools/test.py, on a
tiny ViT and a generated set in ADE20K's layout."""
import glob
import os.path as osp
import pickle
import re
import runpy
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from vpt_mm.testing import write_toy_ade20k

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SETR = osp.join(ROOT, 'configs', 'setr')
TINY_ARCH = dict(embed_dims=32, num_layers=4, num_heads=2,
                 feedforward_channels=64)


def setr_config(method):
    """The file name of a configs/setr/ config (mmseg's naming)."""
    return f'setr_{method}_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py'


def run_tool(tool, *args, work_dir):
    """Run ``tools/<tool>`` as its command line does, in this process (the
    hosts are imported once for all runs); return its log file's text."""
    argv = [osp.join(ROOT, 'tools', tool), *args, '--work-dir', str(work_dir)]
    saved = sys.argv
    sys.argv = argv
    try:
        runpy.run_path(argv[0], run_name='__main__')
    finally:
        sys.argv = saved
    logs = sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')))
    with open(logs[-1]) as file:
        return file.read()


def state_dict(path):
    from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        return torch.load(path, map_location='cpu')['state_dict']


def tiny_options(data_root, checkpoint, max_iters=2):
    """Sizes and paths only: a 4-layer ViT pretrained on 32x32 images (4x4
    position grid), 48x48 crops, 16-channel heads, the toy set."""
    options = {
        # a dict in place of the base's arch='large'
        'model.backbone.arch._delete_': True,
        **{f'model.backbone.arch.{k}': v
           for k, v in TINY_ARCH.items()},
        'model.backbone.patch_size': 8,
        'model.backbone.img_size': (48, 48),
        'model.backbone.out_indices': (0, 1, 2, 3),
        'model.backbone.init_cfg.checkpoint': checkpoint,
        'model.data_preprocessor.size': (48, 48),
        'model.test_cfg.crop_size': (48, 48),
        'model.test_cfg.stride': (32, 32),
        'model.decode_head.in_channels': 32,
        'model.decode_head.channels': 16,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.pipeline.2.scale': (192, 48),
        'train_dataloader.dataset.pipeline.3.crop_size': (48, 48),
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': 100,  # tools/test.py evaluates
        'param_scheduler.0.end': max_iters,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.logger.interval': 1,
        'randomness.seed': 0,
    }
    for loader in ('val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.pipeline.1.scale': (192, 48),
        })
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = data_root
    for i in range(3):
        options[f'model.auxiliary_head.{i}.in_channels'] = 32
        options[f'model.auxiliary_head.{i}.channels'] = 16
    return options


def as_arguments(options):
    return ['--cfg-options'] + [
        f'{key}={value}'.replace(' ', '') for key, value in options.items()
    ]


@pytest.fixture(scope='module', autouse=True)
def one_thread_no_mkldnn():
    """Tiny runs on a shared machine: one thread (no oversubscription), and
    no oneDNN, which prepares each new convolution shape for a long time
    (shapes change with every test-time scale). The runs' default scope
    (mmseg) does not outlive the module."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.backends.mkldnn.flags(enabled=False), \
                DefaultScope.overwrite_default_scope('mmseg'):
            yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Toy ADE20K and a tiny timm ViT pretrained on 32x32 images (4x4
    position grid), converted as users convert ViT-L/16."""
    from timm.models.vision_transformer import VisionTransformer

    from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
    root = tmp_path_factory.mktemp('setr')
    write_toy_ade20k(str(root / 'data'), image_size=48,
                     split_sizes=dict(training=4, validation=2))
    torch.manual_seed(0)
    timm_vit = VisionTransformer(img_size=32, patch_size=8, embed_dim=32,
                                 depth=4, num_heads=2, mlp_ratio=2,
                                 num_classes=0)
    torch.save(timm_vit.state_dict(), root / 'timm.pth')
    # docs/segmentation.md's --no-final-norm: SETR's backbone has no final
    # norm, and PromptedViT loads strictly
    convert_pretrained(str(root / 'timm.pth'), str(root / 'vit-tiny.pth'),
                       final_norm=False)
    pretrained = torch.load(root / 'vit-tiny.pth')['state_dict']
    options = tiny_options(str(root / 'data'), str(root / 'vit-tiny.pth'))
    return root, pretrained, options


@pytest.fixture(scope='module')
def vpt_run(setup):
    """VPT-deep, 2 iterations, a checkpoint after each."""
    root, _, options = setup
    config = osp.join(SETR, setr_config('vpt-deep-p10'))
    log = run_tool('train.py', config, *as_arguments(options),
                   work_dir=root / 'vpt')
    return config, root / 'vpt', log


def assert_backbone_is_pretrained(pretrained, checkpoint):
    for key, value in checkpoint.items():
        if key.startswith('backbone.') and '.prompt.' not in key:
            if key == 'backbone.pos_embed':  # 4x4 grid resized to 6x6
                assert value.shape == (1, 37, 32)
                continue
            assert torch.equal(pretrained[key], value), key


def test_vpt_deep_trains_with_a_frozen_backbone(setup, vpt_run):
    _, pretrained, _ = setup
    _, work_dir, log = vpt_run
    assert 'Iter(train) [2/2]' in log
    # prompts (shallow 10 x 32 + deep 3 x 10 x 32) and the four heads
    assert re.search(r'trainable [\d,]+ / total', log)
    first = state_dict(work_dir / 'iter_1.pth')
    last = state_dict(work_dir / 'iter_2.pth')
    assert_backbone_is_pretrained(pretrained, first)
    assert_backbone_is_pretrained(pretrained, last)
    assert torch.equal(first['backbone.pos_embed'], last['backbone.pos_embed'])
    assert last['backbone.prompt.deep_prompt'].shape == (3, 10, 32)
    assert not torch.equal(first['backbone.prompt.deep_prompt'],
                           last['backbone.prompt.deep_prompt'])
    assert not torch.equal(first['decode_head.conv_seg.weight'],
                           last['decode_head.conv_seg.weight'])


def test_vpt_deep_resumes(setup, vpt_run):
    root, pretrained, options = setup
    config, work_dir, _ = vpt_run
    longer = dict(options, **{'train_cfg.max_iters': 3,
                              'param_scheduler.0.end': 3})
    log = run_tool('train.py', config, '--resume',
                   str(work_dir / 'iter_2.pth'), *as_arguments(longer),
                   work_dir=root / 'resumed')
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/3]' in log
    assert not osp.exists(root / 'resumed' / 'iter_1.pth')
    resumed = state_dict(root / 'resumed' / 'iter_3.pth')
    assert_backbone_is_pretrained(pretrained, resumed)
    assert not torch.equal(
        resumed['backbone.prompt.shallow_prompt'],
        state_dict(work_dir / 'iter_2.pth')['backbone.prompt.shallow_prompt'])


def test_test_tool_reports_miou(setup, vpt_run):
    root, _, options = setup
    config, work_dir, _ = vpt_run
    log = run_tool('test.py', config, str(work_dir / 'iter_2.pth'),
                   '--out', str(root / 'preds.pkl'), *as_arguments(options),
                   work_dir=root / 'test')
    match = re.search(r'Iter\(test\) \[2/2\].*mIoU: ([\d.]+)', log)
    assert match, log[-2000:]
    assert 0 <= float(match.group(1)) <= 100
    # the run's delta (prompts and heads) on the config's backbone: the same
    delta = work_dir / 'iter_2.delta.safetensors'
    assert osp.getsize(delta) < osp.getsize(work_dir / 'iter_2.pth') / 2
    run_tool('test.py', config, str(delta), '--out',
             str(root / 'delta_preds.pkl'), *as_arguments(options),
             work_dir=root / 'test_delta')
    with open(root / 'preds.pkl', 'rb') as file:
        expected = pickle.load(file)
    with open(root / 'delta_preds.pkl', 'rb') as file:
        got = pickle.load(file)
    assert len(got) == len(expected) == 2
    for ours, theirs in zip(got, expected):
        assert ours['seg_logits']['data'].shape == (150, 48, 48)
        assert torch.equal(ours['seg_logits']['data'],
                           theirs['seg_logits']['data'])


def read_predictions(path):
    """Each image's class map and (for TTA: its last view's) logits."""
    with open(path, 'rb') as file:
        return [(p['pred_sem_seg']['data'], p['seg_logits']['data'])
                for p in pickle.load(file)]


def test_multi_scale_test_with_tta(setup, vpt_run):
    """``tools/test.py --tta``: the configs' TTA settings (6 scales x 2
    flips merged per image) around the trained segmentor, from the full
    checkpoint or from the delta; on one validation image. (The segmentor
    cannot read the TTA pipeline's views, and the TTA model needs them.)"""
    from mmengine.config import Config
    root, _, options = setup
    config, work_dir, _ = vpt_run
    options = dict(options, **{'test_dataloader.dataset.indices': 1})
    predictions = []
    for name in ('iter_2.pth', 'iter_2.delta.safetensors'):
        out = root / f'tta_{name}.pkl'
        log = run_tool('test.py', config, str(work_dir / name), '--tta',
                       '--out', str(out), *as_arguments(options),
                       work_dir=root / f'tta_{name}')
        match = re.search(r'Iter\(test\) \[1/1\].*mIoU: ([\d.]+)', log)
        assert match, log[-2000:]
        assert 0 <= float(match.group(1)) <= 100
        predictions.append(read_predictions(out))
    # the delta went into the wrapped segmentor: the same predictions
    [(classes, logits)], [(delta_classes, delta_logits)] = predictions
    assert classes.shape == (1, 48, 48) and logits.shape == (150, 48, 48)
    assert torch.equal(classes, delta_classes)
    assert torch.equal(logits, delta_logits)
    cfg = Config.fromfile(config)
    views = cfg.tta_pipeline[1]['transforms']
    assert [len(step) for step in views] == [6, 2, 1, 1]
    assert sorted(view['scale_factor'] for view in views[0]) == [
        0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


def test_tta_needs_the_settings():
    from mmengine.config import Config
    use_tta = runpy.run_path(osp.join(ROOT, 'tools', 'test.py'))['use_tta']
    cfg = Config(dict(model=dict(type='EncoderDecoder'),
                      tta_model=dict(type='SegTTAModel')))
    with pytest.raises(SystemExit, match='--tta: the config has no '
                       'tta_pipeline'):
        use_tta(cfg)


def test_head_only_trains_the_heads_only(setup):
    root, pretrained, options = setup
    options = dict(options, **{'train_cfg.max_iters': 2,
                               'param_scheduler.0.end': 2})
    work_dir = root / 'head_only'
    run_tool('train.py', osp.join(SETR, setr_config('head-only')),
             *as_arguments(options), work_dir=work_dir)
    first = state_dict(work_dir / 'iter_1.pth')
    last = state_dict(work_dir / 'iter_2.pth')
    assert not any('prompt' in key for key in last)
    assert_backbone_is_pretrained(pretrained, last)
    for key in first:
        if key.startswith('backbone.'):
            assert torch.equal(first[key], last[key]), key
        if key == 'decode_head.conv_seg.weight':
            assert not torch.equal(first[key], last[key])
