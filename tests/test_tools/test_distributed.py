"""Distributed training with a frozen backbone, on CPU with gloo.

What is proven here, through ``tools/dist_train.sh`` / ``dist_test.sh`` and
the same ``tools/train.py`` a user runs:

* a 2-process run (2 x 8 images) follows the 1-process run (1 x 16) of the
  same global batch: every step sees the same 16 images, the mean of the two
  ranks' losses is the 1-process loss and the final prompts and head agree
  to float tolerance, for the iteration-based loop (``InfiniteSampler``) and
  the epoch-based one (``DefaultSampler``, as the paper configs);
* a 2-process run resumed from the checkpoint of a run that went on past it
  (as if killed there) ends bit for bit where the uninterrupted run ends;
  it is launched as 2 nodes x 1 process (``NNODES``/``NODE_RANK``);
* DDP registers exactly the trainable tensors (prompts and head) in its
  gradient buckets, with ``find_unused_parameters=False``, for every model
  structure among the configs;
* ``dist_test.sh`` collects every test prediction exactly once, equal to a
  single-process forward pass;
* on CPU a config asking for SyncBN runs with BN and a logged warning
  (SyncBatchNorm needs CUDA; DDP rejects it on CPU modules);
* the launch scripts build the documented torchrun / srun command lines.

Prompt dropout is 0 and the train pipeline has no random augmentation:
mmengine seeds every rank alike, so random ops could not draw the same
numbers as a single process drawing for the whole batch.
"""
import contextlib
import copy
import glob
import json
import os
import os.path as osp
import pickle
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
import torch

from vpt_mm.compat import cpu_ddp
from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools')
SMOKE = osp.join(ROOT, 'configs', 'smoke', 'vpt-deep_vit-tiny_toy-fgvc.py')
ITERS = 12  # iteration-based runs; the resumed run starts from iter 6
EPOCHS = 3  # epoch-based runs: 64 images / 16 per step = 4 iterations each
TRAINABLE = ['backbone.prompt.shallow_prompt', 'backbone.prompt.deep_prompt',
             'head.fc.weight', 'head.fc.bias']

# Imported by the runs through custom_imports; records each rank's loss and
# images per iteration, and DDP's own account of what it synchronises.
PROBE = """
import json
import os.path as osp

from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from torch.nn.parallel import DistributedDataParallel


@HOOKS.register_module()
class DistProbeHook(Hook):

    def _write(self, runner, **record):
        path = osp.join(runner.work_dir, f'probe_rank{get_rank()}.jsonl')
        with open(path, 'a') as file:
            file.write(json.dumps(record) + '\\n')

    def _wrapper(self, runner, event):
        model = runner.model
        module = getattr(model, 'module', model)
        trainable = [(name, param) for name, param in module.named_parameters()
                     if param.requires_grad]
        record = dict(
            event=event, wrapper=type(model).__name__,
            world_size=get_world_size(),
            trainable=[name for name, _ in trainable],
            trainable_bytes=sum(p.numel() * p.element_size()
                                for _, p in trainable),
            num_parameters=len(list(module.parameters())))
        if isinstance(model, DistributedDataParallel):
            data = model._get_ddp_logging_data()
            record['ddp'] = {key: data.get(key) for key in (
                'num_parameter_tensors', 'total_parameter_size_bytes',
                'bucket_sizes', 'find_unused_parameters',
                'unused_parameter_size', 'backend_name', 'world_size')}
        self._write(runner, **record)

    def before_train(self, runner):
        self._wrapper(runner, 'before_train')

    def after_train(self, runner):
        self._wrapper(runner, 'after_train')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self._write(
            runner, event='iter', iter=runner.iter, epoch=runner.epoch,
            loss=float(outputs['loss']),
            samples=['/'.join(sample.img_path.split(osp.sep)[-2:])
                     for sample in data_batch['data_samples']])
"""

ITER_CONFIG = """
_base_ = {smoke!r}
custom_imports = dict(imports=['vpt_mm.modules', 'dist_probe'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='DistProbeHook')]
data_root = {data!r}
model = dict(backbone=dict(prompt_cfg=dict(dropout=0.)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    sampler=dict(type='InfiniteSampler', shuffle=True, seed=0),
    dataset=dict(data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, split='val'))
test_dataloader = dict(dataset=dict(data_root=data_root, split='test'))
# the schedule does not depend on train_cfg.max_iters
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=4),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=False, begin=4,
         end={iters}),
]
train_cfg = dict(max_iters={iters}, val_interval={iters})
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval={half}, max_keep_ckpts=-1))
log_processor = dict(by_epoch=False, window_size=1)  # log each step's loss
"""

EPOCH_CONFIG = """
_base_ = './dist_iter.py'
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True, seed=0))
train_cfg = dict(_delete_=True, by_epoch=True, max_epochs={epochs},
                 val_interval={epochs})
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=1,
         end={epochs}, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def environment(toy, **extra):
    """The venv's python first on PATH (the scripts call ``python``), the
    probe importable, one thread per process as torchrun sets it, no GPU."""
    env = dict(os.environ)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env['PYTHONPATH'] = os.pathsep.join(
        filter(None, [str(toy), env.get('PYTHONPATH')]))
    env['OMP_NUM_THREADS'] = '1'
    env['CUDA_VISIBLE_DEVICES'] = ''  # the CPU (gloo) path, even on a GPU host
    env.pop('PYTHON', None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


def launch(toy, command, log, **env):
    """Start ``command`` in its own session (torchrun's workers included),
    output to ``log``."""
    with open(log, 'w') as file:
        return subprocess.Popen(
            command, cwd=str(toy), env=environment(toy, **env),
            stdout=file, stderr=subprocess.STDOUT, start_new_session=True)


def finish(*processes_and_logs, timeout=300):
    """Wait for every launch; if one fails or time runs out, end the
    others' process groups (a lone torchrun peer would wait for minutes)
    and show the failed one's log."""
    deadline = time.monotonic() + timeout
    pending = list(processes_and_logs)
    failed = None
    while pending and failed is None and time.monotonic() < deadline:
        for process, log in list(pending):
            if process.poll() is not None:
                pending.remove((process, log))
                if process.returncode != 0:
                    failed = log
        time.sleep(0.2)
    for process, log in pending:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        failed = failed or log
    if failed is not None:
        with open(failed) as file:
            pytest.fail(f'{failed} failed:\n' + file.read()[-4000:])


def train_1proc(toy, config, work_dir, *options):
    log = str(work_dir) + '.log'
    return launch(toy, [
        sys.executable, osp.join(TOOLS, 'train.py'), config, '--work-dir',
        str(work_dir), *options
    ], log), log


def train_dist(toy, config, work_dir, *options, gpus=2, **env):
    log = str(work_dir) + f'{env.get("NODE_RANK", "")}.log'
    env.setdefault('PORT', free_port())
    return launch(toy, [
        'bash', osp.join(TOOLS, 'dist_train.sh'), config, str(gpus),
        '--work-dir', str(work_dir), *options
    ], log, **env), log


def probe(work_dir, rank=0, event='iter'):
    with open(osp.join(work_dir, f'probe_rank{rank}.jsonl')) as file:
        records = [json.loads(line) for line in file]
    return [record for record in records if record['event'] == event]


def checkpoint(path):
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        return torch.load(path, map_location='cpu')


def scalars(work_dir):
    """The training losses mmengine logged (rank 0 writes them)."""
    [run] = [d for d in os.listdir(work_dir)
             if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json'))]
    with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as file:
        records = [json.loads(line) for line in file]
    return [record['loss'] for record in records if 'loss' in record]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp('dist')
    write_toy_fgvc(str(root / 'data'))
    (root / 'dist_probe.py').write_text(PROBE)
    (root / 'dist_iter.py').write_text(
        ITER_CONFIG.format(smoke=SMOKE, data=str(root / 'data'),
                           iters=ITERS, half=ITERS // 2))
    (root / 'dist_epoch.py').write_text(EPOCH_CONFIG.format(epochs=EPOCHS))
    return root


@pytest.fixture(scope='module')
def runs(toy):
    """Every run of this file, in two rounds of concurrent launches.

    Round 1: the 1 x 16 runs (iteration- and epoch-based) and the 2 x 8
    iteration-based run. Round 2: the 2 x 8 epoch-based run; the
    iteration-based run resumed from its checkpoint at iteration 6 (a fresh
    work dir holding only that checkpoint, ``--resume`` as a user would
    after a crash, launched as 2 nodes x 1 process); ``dist_test.sh`` on
    its last checkpoint.
    """
    dirs = {name: toy / name for name in (
        'iter1', 'iter2', 'epoch1', 'epoch2', 'resumed', 'test')}
    half = ['--cfg-options', 'train_dataloader.batch_size=8']
    finish(train_1proc(toy, 'dist_iter.py', dirs['iter1']),
           train_1proc(toy, 'dist_epoch.py', dirs['epoch1']),
           train_dist(toy, 'dist_iter.py', dirs['iter2'], *half))

    resumed = dirs['resumed']
    resumed.mkdir()
    shutil.copy(dirs['iter2'] / f'iter_{ITERS // 2}.pth', resumed)
    (resumed / 'last_checkpoint').write_text(
        str(resumed / f'iter_{ITERS // 2}.pth'))
    port = free_port()
    nodes = [
        train_dist(toy, 'dist_iter.py', resumed, '--resume', *half, gpus=1,
                   NNODES=2, NODE_RANK=rank, MASTER_ADDR='127.0.0.1',
                   PORT=port) for rank in (0, 1)
    ]
    test_log = str(dirs['test']) + '.log'
    test = launch(toy, [
        'bash', osp.join(TOOLS, 'dist_test.sh'), 'dist_iter.py',
        str(dirs['iter2'] / f'iter_{ITERS}.pth'), '2', '--work-dir',
        str(dirs['test']), '--out', str(toy / 'preds.pkl')
    ], test_log, PORT=free_port())
    finish(train_dist(toy, 'dist_epoch.py', dirs['epoch2'], *half), *nodes,
           (test, test_log))
    return dirs


@pytest.mark.parametrize('loop', ['iter', 'epoch'])
def test_two_processes_follow_one_process_of_the_same_global_batch(
        runs, loop):
    one, two = runs[f'{loop}1'], runs[f'{loop}2']
    single = probe(one)
    rank0, rank1 = probe(two, 0), probe(two, 1)
    assert len(single) == len(rank0) == len(rank1) == ITERS
    for whole, first, second in zip(single, rank0, rank1):
        assert len(whole['samples']) == 16
        assert len(first['samples']) == len(second['samples']) == 8
        # the two ranks' batches are the single process' batch, split
        assert sorted(first['samples'] + second['samples']) == \
            sorted(whole['samples']), whole['iter']
        assert not set(first['samples']) & set(second['samples'])
        # mean-reduced loss: the mean of the two halves' means
        mean = (first['loss'] + second['loss']) / 2
        assert abs(mean - whole['loss']) <= 1e-6, whole['iter']
    # the data order changes from step to step and epoch to epoch
    assert len({tuple(sorted(r['samples'])) for r in single}) > 4
    # mmengine logs rank 0's own loss; a single process logs the whole
    # batch's loss (window_size 1: no smoothing)
    assert scalars(one) == [r['loss'] for r in single]
    assert scalars(two) == [r['loss'] for r in rank0]

    last = f'iter_{ITERS}.pth' if loop == 'iter' else f'epoch_{EPOCHS}.pth'
    state_one = checkpoint(one / last)['state_dict']
    state_two = checkpoint(two / last)['state_dict']
    first = checkpoint(two / (f'iter_{ITERS // 2}.pth' if loop == 'iter'
                              else 'epoch_1.pth'))['state_dict']
    assert state_one.keys() == state_two.keys()
    for key in state_one:
        if key in TRAINABLE:
            torch.testing.assert_close(
                state_two[key], state_one[key], rtol=0, atol=1e-5)
            # and they did train: far more change than the tolerance
            assert (state_two[key] - first[key]).abs().max() > 1e-3, key
        else:
            assert torch.equal(state_two[key], state_one[key]), key


def test_ddp_buckets_hold_only_trainable_tensors(runs):
    """DDP's own account, in the 2-process run, before the first step and
    after the last (its buckets are rebuilt after the first)."""
    for rank in (0, 1):
        for event in ('before_train', 'after_train'):
            [record] = probe(runs['iter2'], rank, event)
            assert record['world_size'] == 2
            assert 'DistributedDataParallel' in record['wrapper']
            assert record['trainable'] == TRAINABLE
            ddp = record['ddp']
            assert ddp['backend_name'] == 'gloo'
            assert ddp['find_unused_parameters'] == 0
            # 4 of the model's 34 tensors, 1552 bytes, all in the buckets
            assert record['num_parameters'] > len(TRAINABLE)
            assert ddp['num_parameter_tensors'] == len(TRAINABLE)
            assert ddp['total_parameter_size_bytes'] == \
                record['trainable_bytes'] == (8 * 32 + 32 * 4 + 4) * 4
            buckets = [int(size) for size in ddp['bucket_sizes'].split(',')]
            assert sum(buckets) == record['trainable_bytes']
            if event == 'after_train':
                assert ddp['unused_parameter_size'] == 0


def test_resumed_run_ends_where_the_uninterrupted_run_ends(runs):
    resumed = runs['resumed']
    log = (resumed.parent / 'resumed0.log').read_text()
    assert 'resumed epoch: 0, iter: 6' in log
    assert 'Advance dataloader 6 steps' in log
    whole = checkpoint(runs['iter2'] / f'iter_{ITERS}.pth')
    again = checkpoint(resumed / f'iter_{ITERS}.pth')
    for key, value in whole['state_dict'].items():
        assert torch.equal(again['state_dict'][key], value), key
    for index, state in whole['optimizer']['state'].items():
        assert torch.equal(again['optimizer']['state'][index]
                           ['momentum_buffer'], state['momentum_buffer'])
    assert again['param_schedulers'] == whole['param_schedulers']
    for rank in (0, 1):
        tail = probe(runs['iter2'], rank)[ITERS // 2:]
        assert probe(resumed, rank) == tail


def test_dist_test_collects_every_prediction_once(toy, runs):
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS, MODELS

    ckpt = runs['iter2'] / f'iter_{ITERS}.pth'
    log = (toy / 'test.log').read_text()
    match = re.search(r"'accuracy/top1': ([\d.]+)", log)
    with open(toy / 'preds.pkl', 'rb') as file:
        predictions = pickle.load(file)

    cfg = Config.fromfile(
        str(toy / 'dist_iter.py'), import_custom_modules=False)
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
        model = MODELS.build(cfg.model)
    model.load_state_dict(checkpoint(ckpt)['state_dict'])
    model.eval()
    assert sorted(p['sample_idx'] for p in predictions) == \
        list(range(len(dataset)))
    batch = pseudo_collate([dataset[p['sample_idx']] for p in predictions])
    with torch.no_grad():
        expected = model.test_step(batch)
    for prediction, reference in zip(predictions, expected):
        torch.testing.assert_close(
            prediction['pred_score'], reference.pred_score, rtol=0,
            atol=1e-6)
    correct = sum(int(r.pred_label == r.gt_label) for r in expected)
    assert match and float(match.group(1)) == pytest.approx(
        100 * correct / len(dataset))


# -- DDP in this process: every config's model structure ---------------------
CONFIG_ROOT = osp.join(ROOT, 'configs')
# every family at a tiny width; a ViT keeps its depth (prompted layer
# ranges, SETR's out_indices) and its patch size
TINY_VIT = dict(embed_dims=32, num_heads=2, feedforward_channels=64)
TINY_SWIN = dict(embed_dims=16, depths=[2, 2, 2, 2], num_heads=[1, 1, 2, 2])
TINY_CONVNEXT = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])
SEG_SIZE = 64  # SETR's 512x512 crops, tiny


def one_config_per_structure():
    """The configs under ``configs/``, one per model structure: the zoo's
    ``{method}_{backbone}_{gpus}xb{batch}_{data}`` configs differ from task
    to task only in class count, prompt length and data, so one per folder
    and ``{method}_{backbone}`` stands for the others."""
    chosen = {}
    for path in sorted(glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'),
                                 recursive=True)):
        relative = osp.relpath(path, CONFIG_ROOT)
        if '_base_' in relative.split(os.sep):
            continue
        name = osp.splitext(osp.basename(path))[0]
        key = (osp.dirname(relative),
               re.split(r'_\d+xb\d+', name)[0])
        chosen.setdefault(key, path)
    return sorted(chosen.values())


@pytest.fixture(scope='module')
def gloo_world():
    """A 1-process gloo group in this process, for the life of the module."""
    import torch.distributed as dist
    if dist.is_initialized():
        pytest.skip('a process group already exists')
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{free_port()}', rank=0,
        world_size=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    dist.destroy_process_group()


def vit_depth(arch):
    from mmpretrain.models import VisionTransformer
    return VisionTransformer.arch_zoo[arch.lower()]['num_layers']


def tiny_model_cfg(cfg, folder):
    """The config's model at a tiny width, inside a PEFT wrapper too
    (``backbone=dict(type='BiasTuning', module=...)``). Images keep the
    config's size (Sidetune's side network needs >= 63 px, an 'add'
    prompt of one vector per token the ViT's sequence length) except for
    segmentation (SETR: 64 px). CLS prototypes come from ``folder``."""
    import numpy as np
    model = copy.deepcopy(cfg.model)
    model.backbone.init_cfg = None
    backbone = model.backbone.get('module', model.backbone)
    backbone.init_cfg = None
    kind = backbone.type.split('.')[-1]
    arch = backbone.get('arch')
    if 'Swin' in kind:
        backbone.arch = TINY_SWIN
        out_channels = TINY_SWIN['embed_dims'] * 8
    elif 'ConvNeXt' in kind:
        backbone.arch = TINY_CONVNEXT
        out_channels = TINY_CONVNEXT['channels'][-1]
    elif 'ResNet' in kind:
        backbone.depth, out_channels = 18, 512
    elif isinstance(arch, str):
        backbone.arch = dict(TINY_VIT, num_layers=vit_depth(arch))
        out_channels = TINY_VIT['embed_dims']
        prompt = backbone.get('prompt_cfg', {})
        if prompt.get('init_file'):
            prototypes = osp.join(str(folder), 'prototypes.npy')
            np.save(prototypes, np.random.default_rng(0).standard_normal(
                (prompt.num_tokens, out_channels)).astype(np.float32))
            prompt.init_file = prototypes
    else:
        out_channels = None  # already tiny (configs/smoke)
    if cfg.default_scope == 'mmseg' and out_channels is not None:
        backbone.img_size = (SEG_SIZE, SEG_SIZE)
        model.data_preprocessor.size = (SEG_SIZE, SEG_SIZE)
        shrink_seg_heads(model, kind, out_channels)
    elif out_channels is not None:
        model.head.in_channels = out_channels
    if 'data_preprocessor' not in model and 'data_preprocessor' in cfg:
        model.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    return model


def shrink_seg_heads(model, kind, out_channels):
    """The decoder of a segmentor config (SETR's head list, UperNet's
    MultiLevelNeck or Feature2Pyramid neck + UPerHead + FCN auxiliary head)
    at the tiny backbone's widths."""
    aux = model.get('auxiliary_head') or []
    heads = [model.decode_head, *([aux] if isinstance(aux, dict) else aux)]
    if 'Swin' in kind:  # one width per stage
        widths = [TINY_SWIN['embed_dims'] * 2**i for i in range(4)]
    else:
        widths = [out_channels] * 4
    neck = model.get('neck')
    if neck is not None and 'embed_dim' in neck:  # Feature2Pyramid
        neck.embed_dim = out_channels
    elif neck is not None:
        neck.update(in_channels=[out_channels] * len(neck.in_channels),
                    out_channels=out_channels)
    for head in heads:
        if isinstance(head.in_channels, (list, tuple)):
            head.in_channels = widths[:len(head.in_channels)]
        else:
            index = head.get('in_index', -1)
            head.in_channels = (widths[index] if isinstance(index, int)
                                else out_channels)
        head.channels = 16


def fake_batch(cfg, model_cfg):
    """Two random images of the (tiny) model config's ``img_size`` (32
    where it has none), with labels, as a dataloader yields them."""
    from mmengine.structures import PixelData
    backbone = model_cfg.backbone.get('module', model_cfg.backbone)
    size = backbone.get('img_size', 32)
    size = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
    channels = backbone.get('in_channels', 3)
    inputs = [torch.randint(0, 256, (channels, ) + size, dtype=torch.uint8)
              for _ in range(2)]
    if cfg.default_scope == 'mmseg':
        from mmseg.structures import SegDataSample
        samples = []
        for _ in inputs:
            sample = SegDataSample(metainfo=dict(img_shape=size,
                                                 ori_shape=size))
            sample.gt_sem_seg = PixelData(
                data=torch.randint(0, 4, (1, ) + size))
            samples.append(sample)
    else:
        from mmpretrain.structures import DataSample
        samples = [DataSample().set_gt_label(label) for label in (0, 1)]
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize(
    'path', one_config_per_structure(),
    ids=lambda path: osp.relpath(path, CONFIG_ROOT))
def test_ddp_needs_no_unused_parameter_search(path, gloo_world, tmp_path):
    """``find_unused_parameters=False`` works for every config: DDP's
    buckets hold exactly the trainable tensors, and each of them gets its
    gradient in every step (else DDP raises at the next step)."""
    from mmengine.config import Config
    from mmengine.model import MMDistributedDataParallel
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, DefaultScope
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import \
        allreduce_hook

    cfg = Config.fromfile(path, import_custom_modules=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model_cfg = tiny_model_cfg(cfg, tmp_path)
        model = MODELS.build(model_cfg)
        # on CPU, as in a non-distributed run (SyncBN is covered below)
        model = revert_sync_batchnorm(model)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    trainable = {p.data_ptr() for p in model.parameters() if p.requires_grad}
    assert trainable
    ddp = MMDistributedDataParallel(
        module=model, device_ids=None, broadcast_buffers=False,
        find_unused_parameters=False)
    assert ddp._get_ddp_logging_data()['num_parameter_tensors'] == \
        len(trainable)
    bucketed = []

    def record(state, bucket):
        bucketed.extend(p.data_ptr() for p in bucket.parameters())
        return allreduce_hook(state, bucket)

    ddp.register_comm_hook(None, record)
    torch.manual_seed(0)
    for _ in range(2):
        bucketed.clear()
        log_vars = ddp.train_step(fake_batch(cfg, model_cfg), optim_wrapper)
        assert torch.isfinite(log_vars['loss'])
        assert sorted(bucketed) == sorted(trainable)


def test_cpu_ddp_reverts_sync_bn_with_a_warning(gloo_world, caplog,
                                               tmp_path):
    """A CPU distributed run of a config with SyncBN (here the smoke
    segmentation config's FCN head) runs with BN, and says so."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODEL_WRAPPERS, MODELS, DefaultScope

    path = osp.join(CONFIG_ROOT, 'smoke',
                    'vpt-deep_vit-tiny_fcn_toy-ade20k.py')
    cfg = Config.fromfile(path, import_custom_modules=False)
    cfg.model.decode_head.norm_cfg.type = 'SyncBN'
    cfg.launcher = 'pytorch'
    assert cpu_ddp.setup_cpu_distributed(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg.type == 'CPUDistributedDataParallel'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model_cfg = tiny_model_cfg(cfg, tmp_path)
        model = MODELS.build(model_cfg)
        assert any(isinstance(m, torch.nn.SyncBatchNorm)
                   for m in model.modules())
        logger = MMLogger.get_current_instance()
        logger.addHandler(caplog.handler)
        try:
            ddp = MODEL_WRAPPERS.build(
                cfg.model_wrapper_cfg,
                default_args=dict(module=model, device_ids=[0]))
        finally:
            logger.removeHandler(caplog.handler)
        optim_wrapper = build_optim_wrapper(ddp.module, cfg.optim_wrapper)
    assert not any(isinstance(m, torch.nn.SyncBatchNorm)
                   for m in ddp.module.modules())
    assert '1 SyncBatchNorm layer(s) reverted to BatchNorm' in caplog.text
    log_vars = ddp.train_step(fake_batch(cfg, model_cfg), optim_wrapper)
    assert torch.isfinite(log_vars['loss'])


# -- the launch scripts' command lines ---------------------------------------
def fake_command(folder, name):
    """An executable that writes its arguments (one a line) and
    MASTER_PORT to ``<name>.args``."""
    path = folder / name
    path.write_text('#!/usr/bin/env bash\n'
                    f'printf "%s\\n" "$@" > "{folder}/{name}.args"\n'
                    f'echo "MASTER_PORT=${{MASTER_PORT:-}}" >> '
                    f'"{folder}/{name}.args"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def run_script(script, *args, **env):
    result = subprocess.run(
        ['bash', osp.join(TOOLS, script), *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    return result


def test_dist_scripts_pass_nodes_ports_and_arguments(tmp_path):
    python = fake_command(tmp_path, 'python')
    env = dict(NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1',
               PORT='29999', PYTHON=str(python))
    result = run_script('dist_train.sh', 'cfg.py', '8', '--amp',
                        '--cfg-options', 'a=1 b', **env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'python.args').read_text().splitlines()[:-1] == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
        '--master_addr=10.0.0.1', '--nproc_per_node=8', '--master_port=29999',
        osp.join(TOOLS, 'train.py'), 'cfg.py', '--launcher', 'pytorch',
        '--amp', '--cfg-options', 'a=1 b'
    ]
    result = run_script('dist_test.sh', 'cfg.py', 'c.pth', '4', '--out',
                        'x.pkl', PYTHON=str(python))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'python.args').read_text().splitlines()[:-1] == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
        '--master_addr=127.0.0.1', '--nproc_per_node=4',
        '--master_port=29500', osp.join(TOOLS, 'test.py'), 'cfg.py',
        'c.pth', '--launcher', 'pytorch', '--out', 'x.pkl'
    ]
    for script in ('dist_train.sh', 'dist_test.sh'):
        result = run_script(script, 'cfg.py', PYTHON=str(python))
        assert result.returncode == 2 and 'usage' in result.stderr


def test_slurm_scripts_build_the_srun_command(tmp_path):
    fake_command(tmp_path, 'srun')
    env = dict(PATH=f'{tmp_path}{os.pathsep}{os.environ["PATH"]}',
               GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='6',
               SRUN_ARGS='--quotatype=spot -x node3', PORT='29123')
    result = run_script('slurm_train.sh', 'gpu', 'job', 'cfg.py', 'wd',
                        '--amp', '--cfg-options', 'a=1', **env)
    assert result.returncode == 0, result.stderr
    srun = ['-p', 'gpu', '--job-name=job', '--gres=gpu:8', '--ntasks=16',
            '--ntasks-per-node=8', '--cpus-per-task=6', '--kill-on-bad-exit=1',
            '--quotatype=spot', '-x', 'node3', 'python', '-u']
    assert (tmp_path / 'srun.args').read_text().splitlines() == srun + [
        osp.join(TOOLS, 'train.py'), 'cfg.py', '--work-dir=wd',
        '--launcher=slurm', '--amp', '--cfg-options', 'a=1',
        'MASTER_PORT=29123'
    ]
    env = dict(PATH=env['PATH'], GPUS='2')
    result = run_script('slurm_test.sh', 'gpu', 'job', 'cfg.py', 'c.pth',
                        '--out', 'x.pkl', **env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'srun.args').read_text().splitlines() == [
        '-p', 'gpu', '--job-name=job', '--gres=gpu:2', '--ntasks=2',
        '--ntasks-per-node=2', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        'python', '-u', osp.join(TOOLS, 'test.py'), 'cfg.py', 'c.pth',
        '--launcher=slurm', '--out', 'x.pkl', 'MASTER_PORT='
    ]
    for script in ('slurm_train.sh', 'slurm_test.sh'):
        result = run_script(script, 'gpu', 'job', 'cfg.py', **env)
        assert result.returncode == 2 and 'usage' in result.stderr
