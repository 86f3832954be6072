import importlib
import importlib.machinery
import importlib.util
import itertools
import os
import os.path as osp
import pickle
import socket
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch import nn

import vpt_mm.modules  # noqa: F401  (patches, then registration)
import torchvision
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub, MMLogger
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.visualization import Visualizer

from vpt_mm.compat import (checkpoint_globals, config_lookup, cpu_ddp,
                           mmcv_ext, torchvision_ops)


# -- imports that the shims repair --------------------------------------------
def test_host_libraries_import():
    import mmpretrain.models
    import mmseg.models
    import timm
    from mmcv.ops import point_sample  # unguarded import in mmseg

    assert hasattr(timm, 'create_model')
    assert mmpretrain.models.ImageClassifier is not None
    assert mmseg.models.EncoderDecoder is not None
    assert callable(point_sample)
    assert torchvision.transforms.Resize(4) is not None


def test_torchvision_fallback_registered_iff_library_fails():
    registered = torchvision_ops._TORCHVISION_CPU_LIBRARY is not None
    assert registered == (not torchvision_ops._torchvision_library_loads())
    assert hasattr(torch.ops.torchvision, 'nms')
    assert hasattr(torch.ops.torchvision, 'qnms')


# -- nms ----------------------------------------------------------------------
def reference_nms(boxes, scores, iou_threshold):
    """Greedy NMS in plain Python: best score first, ties by lower index;
    a box goes when its IoU with a kept box exceeds the threshold."""
    boxes = boxes.tolist()
    scores = scores.tolist()

    def iou(a, b):
        width = max(0., min(a[2], b[2]) - max(a[0], b[0]))
        height = max(0., min(a[3], b[3]) - max(a[1], b[1]))
        inter = width * height
        area_a = (a[2] - a[0]) * (a[3] - a[1])
        area_b = (b[2] - b[0]) * (b[3] - b[1])
        return inter / (area_a + area_b - inter)

    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(iou(boxes[k], boxes[i]) <= iou_threshold for k in keep):
            keep.append(i)
    return keep


def random_boxes(seed, num, tied_scores):
    generator = torch.Generator().manual_seed(seed)
    # integer corners: areas and intersections are exact in float32
    top_left = torch.randint(0, 16, (num, 2), generator=generator)
    size = torch.randint(1, 12, (num, 2), generator=generator)
    boxes = torch.cat((top_left, top_left + size), dim=1).float()
    if tied_scores:
        scores = torch.randint(0, 3, (num, ), generator=generator) / 4.
    else:
        scores = torch.rand(num, generator=generator)
    return boxes, scores


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('tied_scores', [False, True])
@pytest.mark.parametrize('iou_threshold', [0.25, 0.5, 0.75])
def test_nms_matches_brute_force(seed, tied_scores, iou_threshold):
    boxes, scores = random_boxes(seed, 60 + 40 * seed, tied_scores)
    keep = torch.ops.torchvision.nms(boxes, scores, iou_threshold)
    assert keep.dtype == torch.int64
    assert keep.tolist() == reference_nms(boxes, scores, iou_threshold)


def test_nms_special_cases():
    nms = torch.ops.torchvision.nms
    # no overlap: everything is kept, best score first
    boxes = torch.tensor([[0., 0., 1., 1.], [2., 2., 3., 3.],
                          [4., 0., 6., 2.], [0., 4., 1., 6.]])
    scores = torch.tensor([0.1, 0.9, 0.5, 0.7])
    assert nms(boxes, scores, 0.).tolist() == [1, 3, 2, 0]
    # all overlap: only the best box survives
    same = torch.tensor([[1., 1., 5., 5.]]).repeat(7, 1)
    scores = torch.tensor([0.3, 0.2, 0.8, 0.1, 0.5, 0.4, 0.6])
    assert nms(same, scores, 0.5).tolist() == [2]
    # all overlap and all tied: the first box wins (stable order)
    same = torch.tensor([[1., 1., 5., 5.]]).repeat(300, 1)
    assert nms(same, torch.ones(300), 0.5).tolist() == [0]
    # tied scores keep index order among survivors
    keep = nms(boxes, torch.ones(4), 0.5)
    assert keep.tolist() == [0, 1, 2, 3]
    # IoU exactly at the threshold is not suppressed: 2 / (3 + 3 - 2)
    pair = torch.tensor([[0., 0., 3., 1.], [1., 0., 4., 1.]])
    assert nms(pair, torch.tensor([0.9, 0.8]), 0.5).tolist() == [0, 1]
    assert nms(pair, torch.tensor([0.9, 0.8]), 0.49).tolist() == [0]
    # no boxes
    empty = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert empty.dtype == torch.int64 and empty.numel() == 0


def test_qnms_matches_reference():
    boxes, scores = random_boxes(7, 80, tied_scores=False)
    qboxes = torch.quantize_per_tensor(boxes, 1., 0, torch.quint8)
    qscores = torch.quantize_per_tensor(scores, 1 / 256, 0, torch.quint8)
    qkeep = torch.ops.torchvision.qnms(qboxes, qscores, 0.5)
    assert qkeep.tolist() == reference_nms(qboxes.dequantize(),
                                           qscores.dequantize(), 0.5)


# -- torchvision detection and the no-op paths --------------------------------
def test_torchvision_library_loads_detection(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec

    def fake_find_spec(locations):

        def find_spec(name, *args, **kwargs):
            if name != 'torchvision':
                return real_find_spec(name, *args, **kwargs)
            if locations is None:
                return None
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = locations
            return spec

        return find_spec

    # no torchvision installed: nothing to repair
    monkeypatch.setattr(importlib.util, 'find_spec', fake_find_spec(None))
    assert torchvision_ops._torchvision_library_loads() is True
    # a torchvision without a compiled library
    monkeypatch.setattr(importlib.util, 'find_spec',
                        fake_find_spec([str(tmp_path)]))
    assert torchvision_ops._torchvision_library_loads() is False
    # a library that cannot be loaded
    (tmp_path / '_C.so').write_bytes(b'not a shared object')
    assert torchvision_ops._torchvision_library_loads() is False


def forbid_library(monkeypatch):

    def library(*args, **kwargs):
        raise AssertionError('an operator library was defined')

    monkeypatch.setattr(torch.library, 'Library', library)


def test_register_torchvision_ops_noop_when_library_loads(monkeypatch):
    monkeypatch.setattr(torchvision_ops, '_TORCHVISION_CPU_LIBRARY', None)
    monkeypatch.delitem(sys.modules, 'torchvision')
    monkeypatch.setattr(torchvision_ops, '_torchvision_library_loads',
                        lambda: True)
    forbid_library(monkeypatch)
    assert torchvision_ops.register_torchvision_cpu_ops() is False
    assert torchvision_ops._TORCHVISION_CPU_LIBRARY is None


def test_register_torchvision_ops_noop_after_torchvision_import(monkeypatch):
    assert 'torchvision' in sys.modules
    monkeypatch.setattr(torchvision_ops, '_TORCHVISION_CPU_LIBRARY', None)
    monkeypatch.setattr(torchvision_ops, '_torchvision_library_loads',
                        lambda: False)
    forbid_library(monkeypatch)
    assert torchvision_ops.register_torchvision_cpu_ops() is False
    assert torchvision_ops._TORCHVISION_CPU_LIBRARY is None


def test_register_torchvision_ops_is_idempotent(monkeypatch):
    sentinel = object()
    monkeypatch.setattr(torchvision_ops, '_TORCHVISION_CPU_LIBRARY', sentinel)
    forbid_library(monkeypatch)
    assert torchvision_ops.register_torchvision_cpu_ops() is True
    assert torchvision_ops._TORCHVISION_CPU_LIBRARY is sentinel


# -- mmcv._ext ----------------------------------------------------------------
def test_mmcv_ext_placeholder():
    from mmengine.model import revert_sync_batchnorm
    from mmengine.utils.dl_utils import mmcv_full_available

    ext = importlib.import_module('mmcv._ext')
    if not getattr(ext, 'vpt_mm_placeholder', False):
        pytest.skip('full mmcv is installed')
    assert ext.__spec__ is not None and ext.__spec__.name == 'mmcv._ext'
    assert mmcv_full_available() is False
    assert isinstance(revert_sync_batchnorm(nn.BatchNorm2d(2)), nn.Module)
    with pytest.raises(RuntimeError, match='"roi_align_forward"'):
        ext.roi_align_forward(torch.zeros(1))
    assert ext.nms.__name__ == 'nms'
    # dunder look-ups stay AttributeErrors (no fake __path__ or __file__)
    assert not hasattr(ext, '__path__')
    with pytest.raises(AttributeError):
        ext.__file__
    # an mmcv op that reaches the extension fails with the op's name
    from mmcv.ops import nms
    with pytest.raises(RuntimeError, match='"nms"'):
        nms(torch.rand(3, 4), torch.rand(3), 0.5)


def test_mmcv_ext_placeholder_install_fresh(monkeypatch):
    monkeypatch.delitem(sys.modules, 'mmcv._ext', raising=False)
    if importlib.util.find_spec('mmcv._ext') is not None:
        pytest.skip('full mmcv is installed')
    assert mmcv_ext.install_mmcv_ext_placeholder() is True
    placeholder = sys.modules['mmcv._ext']
    assert placeholder.vpt_mm_placeholder is True
    assert importlib.util.find_spec('mmcv._ext') is placeholder.__spec__
    with pytest.raises(RuntimeError, match='"sigmoid_focal_loss_forward"'):
        placeholder.sigmoid_focal_loss_forward()


def test_mmcv_ext_placeholder_noop_when_present(monkeypatch):
    real = object()
    monkeypatch.setitem(sys.modules, 'mmcv._ext', real)
    assert mmcv_ext.install_mmcv_ext_placeholder() is False
    assert sys.modules['mmcv._ext'] is real


def test_mmcv_ext_placeholder_noop_with_full_mmcv(monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == 'mmcv._ext':  # a compiled extension is on disk
            return importlib.machinery.ModuleSpec(name, None)
        return real_find_spec(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, 'mmcv._ext', raising=False)
    monkeypatch.setattr(importlib.util, 'find_spec', find_spec)
    assert mmcv_ext.install_mmcv_ext_placeholder() is False
    assert 'mmcv._ext' not in sys.modules


def test_mmcv_ext_placeholder_noop_without_mmcv(monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name.split('.')[0] == 'mmcv':
            return None
        return real_find_spec(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, 'mmcv._ext', raising=False)
    monkeypatch.setattr(importlib.util, 'find_spec', find_spec)
    assert mmcv_ext.install_mmcv_ext_placeholder() is False
    assert 'mmcv._ext' not in sys.modules


# -- checkpoints --------------------------------------------------------------
class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(torch.stack(inputs)).squeeze(1)
        if mode == 'loss':
            return dict(loss=((out - torch.stack(labels))**2).mean())
        return out


def collate(batch):
    return dict(
        inputs=[inputs for inputs, _ in batch],
        labels=[label for _, label in batch])


RUN_IDS = itertools.count()


@pytest.fixture
def runner_state(monkeypatch):
    """Forget the scope, logger, hub and visualizer a runner makes current,
    so that later tests see the global state they started with."""
    for manager in (DefaultScope, MMLogger, MessageHub, Visualizer):
        monkeypatch.setattr(manager, '_instance_dict',
                            manager._instance_dict.copy())


def toy_runner(work_dir, max_iters, **kwargs):
    generator = torch.Generator().manual_seed(0)
    data = [(torch.randn(2, generator=generator),
             torch.randn((), generator=generator)) for _ in range(8)]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=4,
            collate_fn=collate),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(
            type='MultiStepLR', milestones=[1], by_epoch=False),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        log_processor=dict(by_epoch=False),
        default_scope='mmengine',
        experiment_name=f'vpt_mm_test_{os.getpid()}_{next(RUN_IDS)}',
        **kwargs)


def stub_runner():
    """What ``Runner.load_checkpoint`` uses of a runner."""
    hooks = []
    return SimpleNamespace(
        model=nn.Linear(2, 1),
        logger=MMLogger.get_current_instance(),
        call_hook=lambda name, **kwargs: hooks.append(name),
        hooks=hooks)


def test_runner_checkpoint_resumes(tmp_path, runner_state):
    toy_runner(tmp_path, max_iters=2).train()
    checkpoint = osp.join(tmp_path, 'iter_2.pth')
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(checkpoint)

    loaded = toy_runner(tmp_path, max_iters=2).load_checkpoint(checkpoint)
    assert loaded['meta']['iter'] == 2
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)

    resumed = toy_runner(tmp_path, max_iters=3, resume=True)
    resumed.train()
    assert resumed.iter == 3
    assert osp.exists(osp.join(tmp_path, 'iter_3.pth'))
    # the trust does not outlive the runner's own loading
    with pytest.raises(pickle.UnpicklingError):
        torch.load(checkpoint)


def message_hub_checkpoint(path):
    hub = MessageHub.get_instance(f'vpt_mm_test_hub_{os.getpid()}')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_scalar('train/acc', np.array(0.75, dtype=np.float32))
    hub.update_info('iter', 3)
    buffer = HistoryBuffer()
    buffer.update(1.)
    buffer.update(3.)
    weights = nn.Linear(2, 1).state_dict()
    torch.save(
        dict(
            meta=dict(iter=3, seed=np.int64(7)),
            state_dict=weights,
            message_hub=hub.state_dict(),
            buffer=buffer,
            array=np.arange(6, dtype=np.float32).reshape(2, 3)), path)
    return weights


def test_message_hub_checkpoint_trusted_in_runner_and_local_loader(
        tmp_path):
    path = str(tmp_path / 'run.pth')
    weights = message_hub_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError, match='Unsupported global'):
        torch.load(path)

    assert getattr(Runner.load_checkpoint, 'vpt_mm_patched', False)
    runner = stub_runner()
    checkpoint = Runner.load_checkpoint(runner, path)
    assert runner.hooks == ['after_load_checkpoint']
    for key, value in weights.items():
        assert torch.equal(runner.model.state_dict()[key], value)
    hub = checkpoint['message_hub']
    assert hub['log_scalars']['train/loss'].current() == 0.25
    assert hub['log_scalars']['train/acc'].mean() == 0.75
    assert hub['runtime_info']['iter'] == 3
    assert checkpoint['buffer'].max() == 3.
    assert checkpoint['buffer'].min() == 1.
    assert checkpoint['meta']['seed'] == 7
    np.testing.assert_array_equal(checkpoint['array'],
                                  np.arange(6).reshape(2, 3))

    # torch.load itself stays strict; mmengine's load_checkpoint (the
    # hosts' get_model, init_model, inferencers) reads the run's file
    from mmengine.runner import load_checkpoint
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    model = nn.Linear(2, 1)
    checkpoint = load_checkpoint(model, path)
    assert checkpoint['meta']['seed'] == 7
    for key, value in weights.items():
        assert torch.equal(model.state_dict()[key], value)


class SystemCall:

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f'echo pwned > {self.path}', )


class GetAttr:

    def __init__(self, obj, name):
        self.obj = obj
        self.name = name

    def __reduce__(self):
        return getattr, (self.obj, self.name)


def test_malicious_checkpoint_rejected_in_trusted_context(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, meta=SystemCall(marker)), path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        Runner.load_checkpoint(stub_runner(), path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        checkpoint_globals._trust_run_checkpoints(torch.load)(path)
    from mmengine.runner import load_checkpoint
    with pytest.raises(pickle.UnpicklingError, match='system'):
        load_checkpoint(nn.Linear(2, 1), path)
    assert not marker.exists()


@pytest.mark.parametrize('obj,name', [
    (HistoryBuffer, '__init__'),
    (HistoryBuffer, 'register_statistics'),
    (HistoryBuffer, '__class__'),
    (np.ndarray, 'tofile'),
    (np.dtype, 'min'),
])
def test_getattr_outside_statistics_refused(tmp_path, obj, name):
    path = str(tmp_path / 'getattr.pth')
    torch.save(dict(state_dict={}, meta=GetAttr(obj, name)), path)
    with pytest.raises(pickle.UnpicklingError, match=repr(name)):
        Runner.load_checkpoint(stub_runner(), path)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        checkpoint_globals._history_buffer_statistic(obj, name)


@pytest.mark.parametrize('name', ['min', 'max', 'mean', 'current'])
def test_getattr_history_buffer_statistic_allowed(tmp_path, name):
    assert checkpoint_globals._history_buffer_statistic(
        HistoryBuffer, name) is getattr(HistoryBuffer, name)
    path = str(tmp_path / 'statistic.pth')
    torch.save(dict(meta=GetAttr(HistoryBuffer, name)), path)
    loaded = checkpoint_globals._trust_run_checkpoints(torch.load)(path)
    assert loaded['meta'] is getattr(HistoryBuffer, name)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_allow_mmengine_checkpoint_globals_patches_once(monkeypatch):
    patched = Runner.load_checkpoint
    assert patched.vpt_mm_patched is True
    assert checkpoint_globals.allow_mmengine_checkpoint_globals() is False
    assert Runner.load_checkpoint is patched

    monkeypatch.setattr(Runner, 'load_checkpoint', patched.__wrapped__)
    assert checkpoint_globals.allow_mmengine_checkpoint_globals() is True
    assert Runner.load_checkpoint.vpt_mm_patched is True
    assert Runner.load_checkpoint.__wrapped__ is patched.__wrapped__
    assert checkpoint_globals.allow_mmengine_checkpoint_globals() is False


def test_allow_mmengine_checkpoint_globals_old_torch(monkeypatch):
    original = Runner.load_checkpoint.__wrapped__
    monkeypatch.setattr(Runner, 'load_checkpoint', original)
    monkeypatch.delattr(torch.serialization, 'safe_globals')
    assert checkpoint_globals.allow_mmengine_checkpoint_globals() is False
    assert Runner.load_checkpoint is original


def test_numpy_data_globals(tmp_path):
    path = str(tmp_path / 'prompts.pth')
    torch.save(dict(prompt=np.ones((1, 2, 3), dtype=np.float32)), path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    with checkpoint_globals.numpy_data_globals():
        loaded = torch.load(path)
    np.testing.assert_array_equal(loaded['prompt'], np.ones((1, 2, 3)))
    message_hub_checkpoint(str(tmp_path / 'run.pth'))
    with checkpoint_globals.numpy_data_globals(), pytest.raises(
            pickle.UnpicklingError):
        torch.load(str(tmp_path / 'run.pth'))


# -- CPU distributed launch ---------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_setup_cpu_distributed_not_distributed(monkeypatch):
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    assert cpu_ddp.setup_cpu_distributed(cfg, 'none') is False
    assert cpu_ddp.setup_cpu_distributed(cfg, 'slurm') is False
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert cpu_ddp.setup_cpu_distributed(cfg, 'pytorch') is False
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in cfg
    assert not dist.is_initialized()


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU launch only')
def test_setup_cpu_distributed_pytorch(monkeypatch, tmp_path, runner_state):
    if dist.is_initialized():
        pytest.skip('a process group already exists')
    # mmengine sets these for a distributed run; keep them test-local
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.delenv('MKL_NUM_THREADS', raising=False)
    for key, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(key, value)
    cfg = Config(
        dict(
            env_cfg=dict(
                cudnn_benchmark=False,
                dist_cfg=dict(backend='nccl', timeout=600))))
    try:
        assert cpu_ddp.setup_cpu_distributed(cfg, 'pytorch') is True
        assert dist.is_initialized()
        assert dist.get_backend() == 'gloo'
        assert dist.get_world_size() == 1 and dist.get_rank() == 0
        group = dist.group.WORLD
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert cfg.env_cfg.dist_cfg.timeout == 600
        assert cfg.env_cfg.cudnn_benchmark is False
        assert cfg.model_wrapper_cfg == dict(
            type='CPUDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=False)

        # a second call reuses the group; a given wrapper is kept
        kept = Config(
            dict(
                model_wrapper_cfg=dict(
                    type='MMDistributedDataParallel',
                    find_unused_parameters=False,
                    broadcast_buffers=True)))
        assert cpu_ddp.setup_cpu_distributed(kept, 'pytorch') is True
        assert dist.group.WORLD is group
        # (mmengine's DDP wrapper becomes the CPU one, its options kept)
        assert kept.model_wrapper_cfg == dict(
            type='CPUDistributedDataParallel',
            find_unused_parameters=False,
            broadcast_buffers=True,
            device_ids=None)
        assert kept.env_cfg.dist_cfg.backend == 'gloo'

        # mmengine honours a top-level find_unused_parameters only when it
        # builds the wrapper itself
        unused = Config(dict(find_unused_parameters=True))
        assert cpu_ddp.setup_cpu_distributed(unused, 'pytorch') is True
        assert unused.model_wrapper_cfg.find_unused_parameters is True

        # the runner accepts the group and wraps the model for the CPU
        runner = toy_runner(
            tmp_path,
            max_iters=1,
            launcher='pytorch',
            env_cfg=cfg.env_cfg,
            cfg=cfg)
        runner.train()
        assert runner.distributed and runner.iter == 1
        assert type(runner.model).__name__ == 'CPUDistributedDataParallel'
        assert isinstance(runner.model, MMDistributedDataParallel)
        assert runner.model.device_ids is None
        assert dist.group.WORLD is group
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_torchvision_ops_nms_works_through_the_public_api():
    from torchvision.ops import batched_nms, nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert nms(boxes, scores, 0.5).tolist() == [0, 2]
    # different classes never suppress each other
    assert batched_nms(boxes, scores, torch.tensor([0, 1, 0]),
                       0.5).tolist() == [0, 1, 2]


# -- 5. host config bases (``mmseg::``) without pkg_resources ---------------
def test_host_config_bases_resolve(tmp_path):
    """An ``mmseg::`` / ``mmpretrain::`` base loads from the installed
    package, with or without ``pkg_resources``."""
    config = tmp_path / 'setr.py'
    config.write_text(
        "_base_ = ['mmseg::setr/setr_vit-l_pup_8xb2-160k_ade20k-512x512.py']"
        '\nmodel = dict(decode_head=dict(num_classes=3))\n')
    cfg = Config.fromfile(str(config))
    assert cfg.model.decode_head.type == 'SETRUPHead'
    assert cfg.model.decode_head.num_classes == 3
    assert cfg.train_cfg.max_iters == 160000


def test_importlib_package_lookup():
    path = config_lookup._package_installed_path('mmsegmentation')
    assert osp.basename(path) == 'mmseg'
    assert osp.isfile(osp.join(path, '__init__.py'))
    assert osp.basename(config_lookup._package_installed_path('mmengine')) == \
        'mmengine'
    assert config_lookup._package_is_installed('mmpretrain')
    assert not config_lookup._package_is_installed('vpt-mm-no-such-package')
    with pytest.raises(ModuleNotFoundError, match='no-such-package'):
        config_lookup._package_installed_path('vpt-mm-no-such-package')


def test_importlib_package_lookup_noop_with_pkg_resources(monkeypatch):
    import mmengine.config.config as config_module
    sentinel = object()
    monkeypatch.setitem(sys.modules, 'pkg_resources',
                        type(sys)('pkg_resources'))
    monkeypatch.setattr(config_module, 'is_installed', sentinel)
    assert config_lookup.use_importlib_package_lookup() is False
    assert config_module.is_installed is sentinel


def test_importlib_package_lookup_patches_without_pkg_resources(
        monkeypatch):
    import mmengine.config.config as config_module

    def original(package):
        raise AssertionError('pkg_resources-based lookup called')

    monkeypatch.setitem(sys.modules, 'pkg_resources', None)  # import fails
    monkeypatch.setattr(config_module, 'is_installed', original)
    monkeypatch.setattr(config_module, 'get_installed_path', original)
    assert config_lookup.use_importlib_package_lookup() is True
    assert config_module.is_installed('mmsegmentation')
    assert config_lookup.use_importlib_package_lookup() is False  # idempotent


def test_external_config_lookup_is_cached(monkeypatch):
    import mmengine.config.config as config_module
    calls = []

    def lookup(package_path, cfg_file):
        calls.append(cfg_file)
        if cfg_file.endswith('.py'):
            raise ValueError(f'no model config {cfg_file}')
        return f'{package_path}/{cfg_file}'

    monkeypatch.setattr(config_module, '_get_external_cfg_path', lookup)
    # where pkg_resources imports (mmengine's look-up works): untouched
    monkeypatch.setitem(sys.modules, 'pkg_resources',
                        type(sys)('pkg_resources'))
    assert config_lookup.cache_external_config_lookup() is False
    assert config_module._get_external_cfg_path is lookup
    monkeypatch.setitem(sys.modules, 'pkg_resources', None)  # import fails
    assert config_lookup.cache_external_config_lookup() is True
    assert config_lookup.cache_external_config_lookup() is False  # idempotent
    cached = config_module._get_external_cfg_path
    for _ in range(2):
        assert cached('pkg', 'model') == 'pkg/model'
        # the failure that sends mmengine to the base-config path, too
        with pytest.raises(ValueError, match='no model config base.py'):
            cached('pkg', 'base.py')
    assert calls == ['model', 'base.py']
