"""The config zoo: VPT-deep, VPT-shallow, Linear and Full on ViT-B/16
(ImageNet-21k) for the 5 FGVC and 19 VTAB-1k tasks, with the paper's
settings (Tabs. 6, 8, 13, 14); every config builds its model (shrunk to a
tiny ViT) and its datasets (on tiny generated data in the real layouts)."""
import copy
import functools
import glob
import json
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from vpt_mm.tasks import FGVC_SETS, VTAB_TASKS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(ROOT, 'configs')
ALL_CONFIGS = sorted(
    path for path in glob.glob(
        osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, CONFIG_ROOT).split(os.sep))
# mmpretrain naming: {method}_{backbone}-{pretrain}_{gpus}xb{batch}_{data}
ZOO_NAME = re.compile(r'(?P<method>vpt-deep|vpt-shallow|linear|full)'
                      r'_vit-b16-in21k_1xb(?P<batch>\d+)_(?P<data>[\w-]+)\.py')
ZOO = [path for path in ALL_CONFIGS
       if ZOO_NAME.fullmatch(osp.basename(path))
       and osp.basename(osp.dirname(path)) in ('vpt', 'linear', 'full')]
METHOD_FOLDERS = {
    'vpt-deep': 'vpt', 'vpt-shallow': 'vpt', 'linear': 'linear',
    'full': 'full'
}

# task: (VPT-shallow p, VPT-deep p), Tab. 14 (FGVC) and Tab. 13 (VTAB-1k)
PROMPT_LENGTHS = {
    'cub': (100, 10),
    'nabirds': (50, 50),
    'flowers': (100, 5),
    'dogs': (100, 100),
    'cars': (100, 200),
    'cifar100': (100, 10),
    'caltech101': (5, 10),
    'dtd': (1, 10),
    'oxford_flowers102': (200, 1),
    'oxford_pet': (50, 1),
    'svhn': (200, 50),
    'sun397': (1, 5),
    'patch_camelyon': (5, 100),
    'eurosat': (50, 100),
    'resisc45': (50, 10),
    'diabetic_retinopathy': (10, 1),
    'clevr_count': (100, 50),
    'clevr_dist': (200, 200),
    'dmlab': (100, 100),
    'kitti': (100, 50),
    'dsprites_loc': (100, 10),
    'dsprites_ori': (100, 50),
    'smallnorb_azi': (200, 200),
    'smallnorb_ele': (200, 200),
}
FGVC_FOLDERS = {
    'cub': 'CUB_200_2011',
    'nabirds': 'nabirds',
    'flowers': 'OxfordFlower',
    'dogs': 'Stanford-dogs',
    'cars': 'Stanford-cars',
}
PROTOCOLS = {
    'fgvc': dict(tune=dict(train='train', val='val'),
                 final=dict(train='trainval', test='test')),
    'vtab1k': dict(tune=dict(train='train800', val='val200'),
                   final=dict(train='train800val200', test='test')),
}
# Tab. 6
SGD_LRS = [50., 25., 10., 5., 2.5, 1., 0.5, 0.25, 0.1, 0.05]
SHALLOW_EXTRA_LRS = [1000., 500., 250., 100.]
ADAMW_LRS = [0.001, 0.0001, 0.0005, 0.005]
WEIGHT_DECAYS = [0.01, 0.001, 0.0001, 0.]
IMAGENET = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
TINY_ARCH = dict(
    embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
BUILT = []


def parse_name(path):
    """(method, batch in the name, benchmark, task) of a zoo config."""
    match = ZOO_NAME.fullmatch(osp.basename(path))
    data = match.group('data')
    if data.startswith('vtab1k-'):
        benchmark, task = 'vtab1k', data[len('vtab1k-'):].replace('-', '_')
    else:
        benchmark, task = 'fgvc', data
    return match.group('method'), int(match.group('batch')), benchmark, task


def num_classes_of(benchmark, task):
    return FGVC_SETS[task][1] if benchmark == 'fgvc' else VTAB_TASKS[task][0]


def expected_batch(method, task):
    """Tab. 8, ViT-B/16: Linear 2048, Full 128, VPT 128 (p < 100) or 64."""
    if method in ('linear', 'full'):
        return 2048 if method == 'linear' else 128
    shallow, deep = PROMPT_LENGTHS[task]
    length = deep if method == 'vpt-deep' else shallow
    return 64 if length >= 100 else 128


@functools.lru_cache(maxsize=None)
def load(path):
    return Config.fromfile(path)


def ids(paths):
    return [osp.relpath(path, CONFIG_ROOT) for path in paths]


@pytest.fixture(scope='module')
def data_tree(tmp_path_factory):
    """Tiny data for every task in the real layouts: FGVC json splits with
    each set's image folder, VTAB-1k task folders with the four split
    files. Two training images (labels 0 and num_classes - 1), one image in
    every other split. Images are 40x30: resizes must ignore the ratio."""
    root = tmp_path_factory.mktemp('zoo_data')
    image = np.random.default_rng(0).integers(
        0, 255, (30, 40, 3), dtype=np.uint8)
    png = cv2.imencode('.png', image)[1].tobytes()

    def write_image(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'wb') as file:
            file.write(png)

    for name, (image_folder, classes) in FGVC_SETS.items():
        data_root = root / 'data' / 'fgvc' / FGVC_FOLDERS[name]
        for split, labels in dict(
                train=(0, classes - 1), val=(1, ), test=(2, )).items():
            entries = {}
            for index, label in enumerate(labels):
                relative = f'{label:03d}/{split}_{index}.png'
                write_image(osp.join(data_root, image_folder, relative))
                entries[relative] = label
            with open(data_root / f'{split}.json', 'w') as file:
                json.dump(entries, file)
    for task, (classes, _) in VTAB_TASKS.items():
        folder = root / 'data' / 'vtab-1k' / task
        lines = {}
        for split, labels in dict(
                train800=(0, classes - 1), val200=(1, ), test=(0, )).items():
            lines[split] = []
            for index, label in enumerate(labels):
                relative = f'images/{split}/{index:06d}.png'
                write_image(osp.join(folder, relative))
                lines[split].append(f'{relative} {label}\n')
        lines['train800val200'] = lines['train800'] + lines['val200']
        for split, split_lines in lines.items():
            with open(folder / f'{split}.txt', 'w') as file:
                file.writelines(split_lines)
    return str(root)


def test_configs_are_found():
    assert ALL_CONFIGS, CONFIG_ROOT
    assert osp.join(CONFIG_ROOT, 'vpt',
                    'vpt-deep_vit-b16-in21k_1xb128_cub.py') in ZOO


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=ids(ALL_CONFIGS))
def test_every_config_loads(path):
    cfg = load(path)
    assert 'model' in cfg and 'default_scope' in cfg


def test_zoo_covers_four_methods_on_the_24_tasks():
    assert len(PROMPT_LENGTHS) == len(FGVC_SETS) + len(VTAB_TASKS) == 24
    assert len(ZOO) >= 24 * 4
    combos = [parse_name(path)[::3] for path in ZOO]  # (method, task)
    tasks = list(FGVC_SETS) + list(VTAB_TASKS)
    expected = [(method, task) for method in METHOD_FOLDERS
                for task in tasks]
    assert sorted(combos) == sorted(expected)
    # the configs a sweep tool drives: one per method and task
    assert len(set(combos)) == len(combos)


@pytest.mark.parametrize('path', ZOO, ids=ids(ZOO))
def test_zoo_config_has_the_papers_settings(path):
    method, batch, benchmark, task = parse_name(path)
    cfg = load(path)
    classes = num_classes_of(benchmark, task)
    assert osp.basename(osp.dirname(path)) == METHOD_FOLDERS[method]

    # what the sweep tool reads
    assert cfg.benchmark == benchmark and cfg.task_name == task
    assert cfg.protocol == PROTOCOLS[benchmark]
    final = cfg.protocol['final']
    assert cfg.train_dataloader.dataset.split == final['train']
    assert cfg.val_dataloader.dataset.split == final['test']
    assert cfg.test_dataloader.dataset.split == final['test']
    for loader in ('train', 'val', 'test'):
        dataset = cfg[f'{loader}_dataloader'].dataset
        if benchmark == 'fgvc':
            assert dataset.type == 'FGVCDataset' and dataset.name == task
            assert dataset.data_root == f'data/fgvc/{FGVC_FOLDERS[task]}'
        else:
            assert dataset.type == 'VTAB1kDataset' and dataset.task == task
            assert dataset.data_root == 'data/vtab-1k'
        assert 'num_classes' not in dataset  # the set's own count

    # transforms (A.1): FGVC random crops and flips; VTAB a plain resize
    train = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    test = [t.type for t in cfg.test_dataloader.dataset.pipeline]
    resize = cfg.train_dataloader.dataset.pipeline[1]
    assert not resize.get('keep_ratio', False)
    if benchmark == 'fgvc':
        assert train == ['LoadImageFromFile', 'Resize', 'RandomCrop',
                         'RandomFlip', 'PackInputs']
        assert test == ['LoadImageFromFile', 'Resize', 'CenterCrop',
                        'PackInputs']
        assert tuple(resize.scale) == (256, 256)
    else:
        assert train == test == ['LoadImageFromFile', 'Resize', 'PackInputs']
        assert tuple(resize.scale) == (224, 224)
    preprocessor = cfg.data_preprocessor
    assert preprocessor.mean == IMAGENET['mean']
    assert preprocessor.std == IMAGENET['std'] and preprocessor.to_rgb
    assert preprocessor.num_classes == classes

    # model: ViT-B/16 from the ImageNet-21k checkpoint, a linear head
    backbone, head = cfg.model.backbone, cfg.model.head
    assert (backbone.arch, backbone.patch_size, backbone.img_size) == \
        ('b', 16, 224)
    assert backbone.out_type == 'cls_token'
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint='checkpoints/vit-b16_in21k.pth',
        prefix='backbone.')
    assert head.type == 'LinearClsHead' and head.in_channels == 768
    assert head.num_classes == classes
    shallow, deep = PROMPT_LENGTHS[task]
    if method == 'vpt-deep':
        assert backbone.type == 'PromptedViT'
        assert backbone.prompt_cfg == dict(
            num_tokens=deep, deep=True, dropout=0.1)
    elif method == 'vpt-shallow':
        assert backbone.type == 'PromptedViT'
        assert backbone.prompt_cfg == dict(
            num_tokens=shallow, deep=False, dropout=0.)
    elif method == 'linear':
        assert backbone.type == 'PromptedViT'
        assert backbone.prompt_cfg == dict(num_tokens=0)
    else:
        assert backbone.type == 'VisionTransformer'
        assert 'prompt_cfg' not in backbone

    # Tab. 8 batch sizes, and the name says the same
    assert cfg.train_dataloader.batch_size == batch == expected_batch(
        method, task)

    # Tab. 6: optimiser, grid, warm-up + cosine over 100 epochs
    optimizer = cfg.optim_wrapper.optimizer
    if method == 'full':
        assert optimizer.type == 'AdamW'
        assert 'constructor' not in cfg.optim_wrapper
        lrs = ADAMW_LRS
    else:
        assert optimizer.type == 'SGD' and optimizer.momentum == 0.9
        assert cfg.optim_wrapper.constructor == \
            'FrozenBackboneOptimWrapperConstructor'
        lrs = SGD_LRS + (SHALLOW_EXTRA_LRS
                         if method == 'vpt-shallow' else [])
    assert sorted(cfg.sweep_grid['base_lr']) == sorted(lrs)
    assert sorted(cfg.sweep_grid['weight_decay']) == sorted(WEIGHT_DECAYS)
    assert optimizer.lr in lrs and optimizer.weight_decay in WEIGHT_DECAYS
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, 10)
    assert (cosine.type, cosine.begin, cosine.end) == \
        ('CosineAnnealingLR', 10, 100)
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)

    # per-task files stay short
    with open(path) as file:
        code = [line for line in file
                if line.strip() and not line.lstrip().startswith('#')]
    assert len(code) <= 10


def tiny_model_cfg(cfg):
    """The config's model on a tiny ViT; prompts and head as configured."""
    model = copy.deepcopy(cfg.model)
    model.backbone.update(
        arch=TINY_ARCH, img_size=32, patch_size=16, init_cfg=None)
    model.head.in_channels = TINY_ARCH['embed_dims']
    # as mmengine's Runner does with the top-level data_preprocessor
    model.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    return model


def build_datasets(cfg, data_root):
    from mmpretrain.registry import DATASETS
    datasets = {}
    for loader in ('train', 'val', 'test'):
        dataset_cfg = copy.deepcopy(cfg[f'{loader}_dataloader'].dataset)
        dataset_cfg.data_root = osp.join(data_root, dataset_cfg.data_root)
        # mmengine runs gc.collect() to serialise: 0.1-0.2 s a dataset here
        dataset_cfg.serialize_data = False
        datasets[loader] = DATASETS.build(dataset_cfg)
    return datasets


@pytest.mark.parametrize('path', ZOO, ids=ids(ZOO))
def test_zoo_config_builds(path, data_tree, one_thread):
    from mmpretrain.registry import MODELS
    method, _, benchmark, task = parse_name(path)
    cfg = load(path)
    classes = num_classes_of(benchmark, task)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(tiny_model_cfg(cfg))
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        datasets = build_datasets(cfg, data_tree)

    # prompts and classes as configured
    shallow, deep = PROMPT_LENGTHS[task]
    length = dict(
        full=0, linear=0, deep=deep, shallow=shallow)[method.split('-')[-1]]
    assert getattr(model.backbone, 'num_prompt_tokens', 0) == length
    prompt = getattr(model.backbone, 'prompt', None)
    if method.startswith('vpt'):
        assert prompt.deep == (method == 'vpt-deep')
    else:
        assert prompt is None
    assert model.head.fc.out_features == classes
    # the optimizer sees the prompts and the head, or everything for Full
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    optimized = {
        id(p)
        for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    }
    assert optimized == trainable
    if method == 'full':
        assert len(trainable) == len(list(model.parameters()))
    else:
        head = {id(p) for p in model.head.parameters()}
        prompts = {id(p) for p in prompt.parameters()} if prompt else set()
        assert trainable == head | prompts

    # the splits of the final runs, with the real task's labels
    # train + val -> test: 2 + 1 training images, 1 test image
    assert [len(datasets[loader]) for loader in ('train', 'val', 'test')] \
        == [3, 1, 1]
    train = datasets['train']
    labels = sorted(train.get_gt_labels().tolist())
    assert labels[0] == 0 and labels[-1] == classes - 1
    # the real pipelines on the tiny model: one training step, one test
    batch = pseudo_collate([train[0], train[1]])
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape == (2, 3, 224, 224)
    model.train()
    losses = model(**data, mode='loss')
    optim_wrapper.update_params(losses['loss'])
    assert torch.isfinite(losses['loss'])
    model.eval()
    sample = datasets['test'][0]
    assert sample['inputs'].shape == (3, 224, 224)
    with torch.no_grad():
        [prediction] = model.test_step(pseudo_collate([sample]))
    assert prediction.pred_score.shape == (classes, )
    BUILT.append(path)


def test_some_zoo_config_was_built(request):
    """Guards against a collection that silently builds nothing."""
    items = request.session.items
    earlier = [
        item for item in items[:items.index(request.node)]
        if getattr(item, 'originalname', None) == 'test_zoo_config_builds'
    ]
    if not earlier:
        pytest.skip('run together with test_zoo_config_builds')
    assert len(BUILT) > 0
