"""Configs for MAE / MoCo v3 (Tab. 4, Partial-1, Bias and Adapter rows
included), ViT-L/16 and ViT-H/14 (Fig. 4),
384 px and 224 px with p = 380 (Tab. 11) and CIFAR-100-LT: every config's
settings, a tiny build of each kind with a train and a test step, and the
checkpoints of each layout loading into them."""
import ast
import copy
import functools
import glob
import os.path as osp
import pickle
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from vpt_mm.tasks import FGVC_SETS, VTAB_TASKS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs')
NAME = re.compile(r'(?P<method>vpt-deep|vpt-shallow|linear|full|'
                  r'partial-1|bias|adapter-r8)'
                  r'(?P<p380>-p380)?_(?P<backbone>vit-[\w-]+?)'
                  r'_1xb(?P<batch>\d+)_(?P<data>[\w-]+)\.py')
# folder: (backbone in the name, tasks, checkpoint, arch, patch, px, epochs)
FAMILIES = {
    'vit-b16-mae': ('vit-b16-mae', 'all', 'vit-b16_mae', 'b', 16, 224, 100),
    'vit-b16-mocov3':
    ('vit-b16-mocov3', 'all', 'vit-b16_mocov3', 'b', 16, 224, 100),
    'vit-l16': ('vit-l16-in21k', 'vtab', 'vit-l16_in21k', 'l', 16, 224, 50),
    'vit-h14': ('vit-h14-in21k', 'vtab', 'vit-h14_in21k', 'h', 14, 224, 50),
    'vit-b16-384px':
    ('vit-b16-in21k-384px', 'vtab', 'vit-b16_in21k', 'b', 16, 384, 100),
}
# Tab. 8: Linear / Full / VPT (p < 100) / VPT (p >= 100)
BATCHES = {
    'b': (2048, 128, 128, 64), 'l': (2048, 64, 64, 32),
    'h': (1024, 28, 28, 14)
}
WIDTHS = {'b': 768, 'l': 1024, 'h': 1280}
# Tab. 4's PEFT rows on ViT-B/16 MAE and MoCo v3: (wrapper, Tab. 8 batch)
PEFT = {
    'partial-1': ('PartialTuning', 1280),
    'bias': ('BiasTuning', 128),
    'adapter-r8': ('AdapterTuning', 128),
}
TINY = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
FGVC_TASKS = sorted(FGVC_SETS)
VTAB_NAMES = sorted('vtab1k-' + t.replace('_', '-') for t in VTAB_TASKS)


def find(folder):
    return sorted(glob.glob(osp.join(CONFIGS, folder, '*.py')))


@functools.lru_cache(maxsize=None)
def load(path):
    return Config.fromfile(path)


@functools.lru_cache(maxsize=None)
def zoo_prompt_lengths():
    """(method, task) -> p of the ViT-B/16 IN-21k zoo (Tabs. 13/14)."""
    lengths = {}
    for path in find('vpt'):
        match = NAME.fullmatch(osp.basename(path))
        lengths[match['method'], match['data']] = \
            own_settings(path)['num_tokens']
    return lengths


def task_of(data):
    if data.startswith('vtab1k-'):
        task = data[len('vtab1k-'):].replace('-', '_')
        return 'vtab1k', task, VTAB_TASKS[task][0]
    return 'fgvc', data, FGVC_SETS[data][1]


def own_settings(path):
    """A task config's own lines: its bases, prompt length, class count and
    batch (the rest comes from the bases, each loaded once below)."""
    with open(path) as file:
        tree = ast.parse(file.read())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.targets[0].id == '_base_':
            found['bases'] = [osp.basename(e.value) for e in node.value.elts]
        if isinstance(node, ast.keyword) and node.arg in (
                'num_tokens', 'num_classes', 'batch_size'):
            found[node.arg] = node.value.value
    return found


def dataset_base(data, px):
    if data.startswith('vtab1k-'):
        task = data[len('vtab1k-'):].replace('-', '_')
        return f'vtab1k_{task}{"_384px" if px == 384 else ""}_bs128.py'
    return f'fgvc_{data}_bs128.py'


@pytest.mark.parametrize('folder', sorted(FAMILIES))
def test_family_configs(folder):
    """Every config of a family: its bases, prompts, classes and batch from
    its own lines; model, schedule and data from its bases (each loaded)."""
    backbone_name, tasks, ckpt, arch, patch, px, epochs = FAMILIES[folder]
    lengths = zoo_prompt_lengths()
    combos = []
    for path in find(folder):
        match = NAME.fullmatch(osp.basename(path))
        assert match, path
        method, data = match['method'], match['data']
        combos.append((method + (match['p380'] or ''), data))
        own = own_settings(path)
        classes = task_of(data)[2]
        assert own['num_classes'] == classes
        if match['p380']:  # Tab. 11: 224 px, p = 380, ViT-B/16 IN-21k
            assert match['backbone'] == 'vit-b16-in21k'
            assert own['bases'] == [
                f'{method}_vit-b16-in21k.py', dataset_base(data, 224)]
            assert own['num_tokens'] == 380 and own['batch_size'] == 64
            continue
        assert match['backbone'] == backbone_name
        assert own['bases'] == [
            f'{method}_{backbone_name}.py', dataset_base(data, px)]
        # prompts: the ViT-B/16 zoo's p for the same method and task
        p = lengths.get((method, data), 0)
        assert own.get('num_tokens', 0) == p
        linear, full, small, big = BATCHES[arch]
        batch = dict(linear=linear, full=full,
                     **{m: b for m, (_, b) in PEFT.items()}).get(
                         method, big if p >= 100 else small)
        assert own.get('batch_size', 128) == int(match['batch']) == batch
    tasks = (FGVC_TASKS if tasks == 'all' else []) + VTAB_NAMES
    methods = ['full', 'linear', 'vpt-deep', 'vpt-shallow']
    if folder == 'vit-b16-384px':
        methods += ['vpt-deep-p380', 'vpt-shallow-p380']
    if folder in ('vit-b16-mae', 'vit-b16-mocov3'):
        methods += list(PEFT)
    assert sorted(combos) == sorted(
        (method, task) for method in methods for task in tasks)

    # the method bases: backbone, read-out, head width, schedule
    for method in ('full', 'linear', 'vpt-deep', 'vpt-shallow'):
        cfg = load(osp.join(CONFIGS, '_base_', 'methods',
                            f'{method}_{backbone_name}.py'))
        backbone, head = cfg.model.backbone, cfg.model.head
        assert (backbone.arch, backbone.patch_size, backbone.img_size) == \
            (arch, patch, px)
        assert backbone.init_cfg == dict(
            type='Pretrained', checkpoint=f'checkpoints/{ckpt}.pth',
            prefix='backbone.')
        assert head.in_channels == WIDTHS[arch]
        # each objective's read-out (MAE: global pool + fc_norm)
        if folder == 'vit-b16-mae':
            assert backbone.out_type == 'avg_featmap'
            assert backbone.final_norm is False
        else:
            assert backbone.out_type == 'cls_token'
            assert backbone.get('final_norm', True) is True
        if method.startswith('vpt'):
            assert backbone.type == 'PromptedViT'
            deep = method == 'vpt-deep'
            assert backbone.prompt_cfg == dict(
                num_tokens=backbone.prompt_cfg.num_tokens, deep=deep,
                dropout=0.1 if deep else 0.)
        elif method == 'linear':
            assert backbone.type == 'PromptedViT'
            assert backbone.prompt_cfg == dict(num_tokens=0)
        else:
            assert backbone.type == 'VisionTransformer'
        # 100 epochs (ViT-B), 50 (ViT-L/H), 10 warm-up epochs (Tab. 6)
        warmup, cosine = cfg.param_scheduler
        assert (warmup.end, cosine.begin, cosine.end) == (10, 10, epochs)
        assert cfg.train_cfg.max_epochs == epochs
        optimizer = cfg.optim_wrapper.optimizer.type
        assert optimizer == ('AdamW' if method == 'full' else 'SGD')
        assert len(cfg.sweep_grid.base_lr) == dict(
            full=4, **{'vpt-shallow': 14}).get(method, 10)
    # the dataset bases: the task, its classes, images at the model's size
    for data in tasks:
        cfg = load(osp.join(CONFIGS, '_base_', 'datasets',
                            dataset_base(data, px)))
        benchmark, task, classes = task_of(data)
        assert (cfg.benchmark, cfg.task_name) == (benchmark, task)
        assert cfg.data_preprocessor.num_classes == classes
        for loader in ('train', 'val', 'test'):
            pipeline = cfg[f'{loader}_dataloader'].dataset.pipeline
            sizes = [t.scale for t in pipeline if t.type == 'Resize']
            crops = [t.crop_size for t in pipeline if 'Crop' in t.type]
            assert (crops or sizes)[-1] in (px, (px, px))


def test_cifar100_lt_configs():
    paths = find('cifar100-lt')
    assert [osp.basename(p) for p in paths] == [
        f'vpt-deep_vit-b16-in21k_1xb128_cifar100-lt-r{r}.py'
        for r in (10, 100, 50)
    ]
    for path in paths:
        cfg = load(path)
        ratio = int(path[:-3].rsplit('-r', 1)[1])
        train = cfg.train_dataloader.dataset
        assert (train.type, train.split, train.imbalance_ratio) == \
            ('CIFAR100LT', 'train', ratio)
        assert cfg.test_dataloader.dataset.split == 'test'
        assert cfg.task_name == f'cifar100_lt_r{ratio}'
        assert cfg.protocol == dict(
            tune=dict(train='train_tune', val='val'),
            final=dict(train='train', test='test'))
        assert cfg.val_evaluator.type == cfg.test_evaluator.type == \
            'ErrorRate'
        assert cfg.model.backbone.prompt_cfg == dict(
            num_tokens=10, deep=True, dropout=0.1)
        assert cfg.model.head.num_classes == 100


# -- tiny builds -------------------------------------------------------------
REPRESENTATIVES = [
    f'{folder}/{method}_{FAMILIES[folder][0]}_1xb{batch}_vtab1k-dtd.py'
    for folder, batches in (
        ('vit-b16-mae', (128, 2048, 128, 128)),
        ('vit-b16-mocov3', (128, 2048, 128, 128)),
        ('vit-l16', (64, 2048, 64, 64)),
        ('vit-h14', (28, 1024, 28, 28)),
        ('vit-b16-384px', (128, 2048, 128, 128)))
    for method, batch in zip(('full', 'linear', 'vpt-deep', 'vpt-shallow'),
                             batches)
] + ['vit-b16-384px/vpt-deep-p380_vit-b16-in21k_1xb64_vtab1k-dtd.py'] + [
    'vit-b16-mae/partial-1_vit-b16-mae_1xb1280_vtab1k-dtd.py',
    'vit-b16-mae/adapter-r8_vit-b16-mae_1xb128_vtab1k-dtd.py',
    'vit-b16-mocov3/bias_vit-b16-mocov3_1xb128_vtab1k-dtd.py',
]


def tiny_model(cfg, checkpoint=None):
    from mmpretrain.registry import MODELS
    model = copy.deepcopy(cfg.model)
    init_cfg = None if checkpoint is None else dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    # a PEFT wrapper's backbone config is its module
    model.backbone.get('module', model.backbone).update(
        arch=TINY, init_cfg=init_cfg)
    model.head.in_channels = TINY['embed_dims']
    model.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, optim_wrapper


def train_and_test(model, optim_wrapper, size, classes):
    """One training step and one test step on random images."""
    images = torch.randint(0, 255, (2, 3, size, size), dtype=torch.uint8)
    batch = dict(
        inputs=list(images),
        data_samples=[DataSample().set_gt_label(c) for c in (0, classes - 1)])
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    data = model.data_preprocessor(batch, True)
    loss = model(**data, mode='loss')['loss']
    optim_wrapper.update_params(loss)
    assert torch.isfinite(loss)
    trainable = [p.requires_grad for p in model.parameters()]
    changed = [not torch.equal(a, p) for a, p in
               zip(before, model.parameters())]
    assert changed == trainable  # exactly the trainable weights move
    model.eval()
    with torch.no_grad():
        [prediction] = model.test_step(
            dict(inputs=[images[0]], data_samples=[DataSample()]))
    assert prediction.pred_score.shape == (classes, )


@pytest.mark.parametrize('relpath', REPRESENTATIVES)
def test_tiny_build(relpath, one_thread):
    path = osp.join(CONFIGS, relpath)
    cfg = load(path)
    model, optim_wrapper = tiny_model(cfg)
    backbone = getattr(model.backbone, 'module', model.backbone)
    backbone_cfg = cfg.model.backbone.get('module', cfg.model.backbone)
    size = backbone_cfg.img_size
    patch = backbone_cfg.patch_size
    assert backbone.patch_resolution == (size // patch, size // patch)
    assert backbone.pos_embed.shape[1] == 1 + (size // patch)**2
    assert getattr(backbone, 'num_prompt_tokens', 0) == \
        backbone_cfg.get('prompt_cfg', {}).get('num_tokens', 0)
    if 'mae' in relpath:
        assert hasattr(backbone, 'ln2') and not hasattr(backbone, 'ln1')
    else:
        assert hasattr(backbone, 'ln1') and not hasattr(backbone, 'ln2')
    train_and_test(model, optim_wrapper, size, cfg.model.head.num_classes)
    if relpath.startswith('vit-b16-mae/partial-1'):
        # Partial-1's final norm on MAE is the read-out's LayerNorm
        trained = {name.split('.')[0] for name, param in
                   backbone.named_parameters() if param.requires_grad}
        assert trained == {'layers', 'ln2'}
        assert not backbone.layers[0].attn.qkv.weight.requires_grad


@pytest.mark.parametrize('folder', ['vit-b16-mae', 'vit-b16-mocov3'])
def test_peft_method_bases(folder):
    """Tab. 4's Partial-1, Bias and Adapter rows: the ViT-B/16 IN-21k PEFT
    method base with the objective's checkpoint and read-out, nothing else
    changed; one DeltaCheckpointHook."""
    backbone_name = FAMILIES[folder][0]
    linear = load(osp.join(CONFIGS, '_base_', 'methods',
                           f'linear_{backbone_name}.py')).model.backbone
    for method, (wrapper, _) in PEFT.items():
        cfg = load(osp.join(CONFIGS, '_base_', 'methods',
                            f'{method}_{backbone_name}.py'))
        in21k = load(osp.join(CONFIGS, '_base_', 'methods',
                              f'{method}_vit-b16-in21k.py'))
        backbone = cfg.model.backbone
        assert backbone.type == wrapper
        assert backbone.module.type == 'VisionTransformer'
        # the objective's settings, as in its Linear / VPT bases
        for key in ('init_cfg', 'out_type', 'final_norm'):
            assert backbone.module.get(key) == linear.get(key), key
        expected = copy.deepcopy(in21k.model)
        expected.backbone.module.update(
            {key: linear[key] for key in ('init_cfg', 'out_type',
                                          'final_norm') if key in linear})
        assert cfg.model == expected
        for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                    'sweep_grid', 'custom_hooks'):
            assert cfg[key] == in21k[key], key
        assert cfg.optim_wrapper.optimizer.type == 'AdamW'
        assert cfg.custom_hooks == [dict(type='DeltaCheckpointHook')]


# -- checkpoints in the public layouts ---------------------------------------
def timm_vit(grid=14, patch=16):
    """A tiny ViT state dict in timm's keys (MAE / MoCo v3 encoders)."""
    gen = torch.Generator().manual_seed(0)
    dims, hidden = TINY['embed_dims'], TINY['feedforward_channels']

    def rand(*shape):
        return torch.randn(*shape, generator=gen) * 0.1

    weights = dict(
        cls_token=rand(1, 1, dims),
        pos_embed=rand(1, 1 + grid * grid, dims))
    weights['patch_embed.proj.weight'] = rand(dims, 3, patch, patch)
    weights['patch_embed.proj.bias'] = rand(dims)
    for i in range(TINY['num_layers']):
        for name, shape in (('norm1', (dims, )), ('norm2', (dims, ))):
            weights[f'blocks.{i}.{name}.weight'] = 1 + rand(*shape)
            weights[f'blocks.{i}.{name}.bias'] = rand(*shape)
        for name, out, inp in (('attn.qkv', 3 * dims, dims),
                               ('attn.proj', dims, dims),
                               ('mlp.fc1', hidden, dims),
                               ('mlp.fc2', dims, hidden)):
            weights[f'blocks.{i}.{name}.weight'] = rand(out, inp)
            weights[f'blocks.{i}.{name}.bias'] = rand(out)
    weights['norm.weight'] = 1 + rand(dims)
    weights['norm.bias'] = rand(dims)
    return weights


def convert(src, dst, *args, **kwargs):
    from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
    convert_pretrained(str(src), str(dst), *args, **kwargs)
    return str(dst)


def test_mae_checkpoint_loads_with_its_read_out(tmp_path, one_thread):
    from vpt_mm.checkpoint.strict import CheckpointMismatchError
    encoder = timm_vit()
    public = dict(encoder, mask_token=torch.zeros(1, 1, 32))
    public['decoder_embed.weight'] = torch.zeros(16, 32)
    torch.save({'model': public}, tmp_path / 'mae_pretrain_vit_tiny.pth')
    converted = convert(tmp_path / 'mae_pretrain_vit_tiny.pth',
                        tmp_path / 'encoder.pth')
    cfg = load(osp.join(
        CONFIGS, 'vit-b16-mae', 'vpt-deep_vit-b16-mae_1xb128_cub.py'))
    # the pretraining file's final norm has no place in the global-pool
    # read-out, and its fc_norm does not exist: a plain conversion fails
    # the strict load, naming the keys
    with pytest.raises(CheckpointMismatchError, match='ln1'):
        tiny_model(cfg, converted)
    converted = convert(tmp_path / 'mae_pretrain_vit_tiny.pth',
                        tmp_path / 'mae.pth', global_pool=True)
    meta = torch.load(converted, weights_only=True)['meta']
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 1)
    model, _ = tiny_model(cfg, converted)
    backbone = model.backbone.eval()
    assert torch.equal(backbone.layers[1].attn.qkv.weight,
                       encoder['blocks.1.attn.qkv.weight'])
    assert torch.equal(backbone.ln2.weight, torch.ones(32))
    # read-out: LayerNorm(mean of the patch tokens), no prompt among them
    image = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        [feature] = backbone(image)
        backbone.out_type = 'raw'
        [tokens] = backbone(image)
    patches = tokens[:, 1:]
    assert patches.shape[1] == 196
    expected = torch.nn.functional.layer_norm(
        patches.mean(1), (32, ), eps=1e-6)
    torch.testing.assert_close(feature, expected)


def test_mocov3_checkpoint_loads(tmp_path, one_thread):
    encoder = timm_vit()
    public = {f'module.{key}': value for key, value in encoder.items()}
    public['module.head.weight'] = torch.zeros(1000, 32)
    public['module.head.bias'] = torch.zeros(1000)
    torch.save({'state_dict': public}, tmp_path / 'linear-vit-tiny.pth.tar')
    converted = convert(tmp_path / 'linear-vit-tiny.pth.tar',
                        tmp_path / 'mocov3.pth')
    cfg = load(osp.join(CONFIGS, 'vit-b16-mocov3',
                        'vpt-shallow_vit-b16-mocov3_1xb128_vtab1k-dtd.py'))
    model, _ = tiny_model(cfg, converted)
    assert torch.equal(model.backbone.ln1.weight, encoder['norm.weight'])
    assert torch.equal(model.backbone.pos_embed, encoder['pos_embed'])
    # the PEFT rows: the wrappers' keys are the host's
    cfg = load(osp.join(CONFIGS, 'vit-b16-mocov3',
                        'partial-1_vit-b16-mocov3_1xb1280_vtab1k-dtd.py'))
    model, _ = tiny_model(cfg, converted)
    host = model.backbone.module
    assert torch.equal(host.layers[1].ffn.layers[1].weight,
                       encoder['blocks.1.mlp.fc2.weight'])
    assert host.layers[1].ffn.layers[1].weight.requires_grad
    assert host.ln1.weight.requires_grad
    assert not host.layers[0].ffn.layers[1].weight.requires_grad


def test_224_checkpoint_loads_into_384_model(tmp_path, one_thread):
    from mmpretrain.models.utils import resize_pos_embed
    encoder = timm_vit(grid=14)
    converted = convert(_save(tmp_path, encoder), tmp_path / 'in21k.pth')
    for method in ('vpt-deep', 'full'):
        batch = 128
        cfg = load(osp.join(
            CONFIGS, 'vit-b16-384px',
            f'{method}_vit-b16-in21k-384px_1xb{batch}_vtab1k-dtd.py'))
        model, _ = tiny_model(cfg, converted)
        pos_embed = model.backbone.pos_embed
        assert pos_embed.shape == (1, 1 + 24 * 24, 32)
        expected = resize_pos_embed(encoder['pos_embed'], (14, 14),
                                    (24, 24), 'bicubic', 1)
        torch.testing.assert_close(pos_embed, expected)
        assert torch.equal(model.backbone.cls_token, encoder['cls_token'])


def _save(tmp_path, weights):
    path = tmp_path / 'timm_vit.pth'
    torch.save(weights, path)
    return path


# -- CIFAR-100-LT end to end -------------------------------------------------
@pytest.fixture(scope='module')
def cifar_root(tmp_path_factory):
    """cifar-100-python/{train,test}: 100 images per class, 1 test each."""
    root = tmp_path_factory.mktemp('cifar_lt_cfg')
    folder = root / 'cifar-100-python'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, per_class in (('train', 100), ('test', 1)):
        labels = rng.permutation(np.repeat(np.arange(100), per_class))
        data = rng.integers(0, 255, (len(labels), 3072), dtype=np.uint8)
        with open(folder / name, 'wb') as file:
            pickle.dump({'data': data, 'fine_labels': labels.tolist()}, file)
    return str(root)


@pytest.mark.parametrize('ratio', [10, 50, 100])
def test_cifar100_lt_config_runs(ratio, cifar_root, one_thread):
    from mmpretrain.registry import DATASETS, METRICS
    cfg = load(osp.join(
        CONFIGS, 'cifar100-lt',
        f'vpt-deep_vit-b16-in21k_1xb128_cifar100-lt-r{ratio}.py'))
    datasets = {}
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        for loader in ('train', 'test'):
            dataset = copy.deepcopy(cfg[f'{loader}_dataloader'].dataset)
            dataset.update(data_root=cifar_root, serialize_data=False)
            datasets[loader] = DATASETS.build(dataset)
        evaluator = METRICS.build(cfg.test_evaluator)
    counts = np.bincount(datasets['train'].get_gt_labels(), minlength=100)
    assert counts[0] == 100 and counts[-1] == 100 // ratio
    assert len(datasets['test']) == 100
    if ratio != 100:
        return  # the model run once is enough
    model, optim_wrapper = tiny_model(cfg)
    batch = pseudo_collate([datasets['train'][0], datasets['train'][-1]])
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape == (2, 3, 224, 224)
    model.train()
    loss = model(**data, mode='loss')['loss']
    optim_wrapper.update_params(loss)
    model.eval()
    samples = [datasets['test'][i] for i in range(4)]
    with torch.no_grad():
        predictions = model.test_step(pseudo_collate(samples))
    evaluator.process([], [p.to_dict() for p in predictions])
    result = evaluator.evaluate(4)
    assert result['error/top1'] == pytest.approx(
        100 - result['accuracy/top1'])
