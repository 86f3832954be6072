"""Compatibility shims for CPU-only installs of the OpenMMLab stack.

On a CUDA cluster with full ``mmcv`` and a matching ``torchvision`` every
function here detects that the real library is present and does nothing.
On a CPU machine with torch 2.13 four things break; each is handled by one
function below:

1. ``torchvision``'s registry wheel is a CUDA build whose ``_C`` library needs
   ``libtorch_cuda.so``. Importing torchvision then dies with
   ``operator torchvision::nms does not exist`` (and takes ``timm``,
   ``mmpretrain.models`` and ``mmpretrain.datasets`` with it).
   :func:`register_torchvision_cpu_ops` defines pure-PyTorch ``nms`` and
   ``qnms`` operators when, and only when, that library cannot be loaded.
2. ``mmcv-lite`` has no compiled ``mmcv._ext``; ``mmseg.models`` imports
   ``mmcv.ops`` unconditionally. :func:`install_mmcv_ext_placeholder` puts a
   placeholder module (with a real ``__spec__``) in its place whose operators
   raise a clear error if ever called. No model of this project calls one.
3. torch >= 2.6 loads checkpoints with ``weights_only=True``. mmengine's own
   checkpoints carry a ``HistoryBuffer`` and numpy values, so ``--resume``
   and ``load_from`` fail. :func:`allow_mmengine_checkpoint_globals` makes
   :meth:`mmengine.runner.Runner.load_checkpoint` (resume and ``load_from``,
   i.e. a run's own checkpoints) accept exactly those data-only globals.
   Third-party weights (``init_cfg``, converters) keep torch's strict
   default. Nothing turns ``weights_only`` off.
4. ``torchrun`` with ``launcher='pytorch'`` on a CPU machine: mmengine calls
   ``torch.cuda.set_device`` and wraps the model with ``device_ids=[rank]``.
   :func:`setup_cpu_distributed` initialises a gloo process group before the
   runner and asks for a CPU DDP wrapper, which reverts SyncBN to BN (SyncBN
   needs CUDA) with a logged warning.
5. Config inheritance from an installed host (``_base_ =
   ['mmseg::setr/...py']``) asks mmengine's ``is_installed`` and
   ``get_installed_path``, which import ``pkg_resources``; setuptools >= 81
   no longer ships it, so every ``mmseg::``/``mmpretrain::`` base fails.
   :func:`use_importlib_package_lookup` gives mmengine's config loader
   ``importlib``-based versions of the two functions, only when
   ``pkg_resources`` cannot be imported.
6. Each such base costs ~0.4 s: mmengine parses every metafile of the host
   (53 YAML files for mmseg) to look the config up as a model, fails for a
   ``.py`` path and falls back to the file.
   :func:`cache_external_config_lookup` remembers the answer (a path or that
   failure) per package and config, on the installs where 5 applies.

:func:`apply` runs 1-3, 5 and 6; it is called when ``vpt_mm`` is imported
(before any config is read by our tools).
"""
import contextlib
import functools
import glob
import importlib.machinery
import importlib.util
import os
import pickle
import sys
import types
from typing import Callable, List, Optional

import torch

# Keeps the operator library alive for the life of the process.
_TORCHVISION_CPU_LIBRARY: Optional[torch.library.Library] = None


def _greedy_nms(boxes: torch.Tensor, scores: torch.Tensor,
                iou_threshold: float) -> torch.Tensor:
    """Keep boxes by descending score, dropping those that overlap a kept
    box by more than ``iou_threshold`` (the semantics of torchvision nms).

    Boxes are ``(x1, y1, x2, y2)``. Returns kept indices, best first.
    """
    if boxes.numel() == 0:
        return torch.empty((0, ), dtype=torch.int64, device=boxes.device)
    boxes = boxes.float()
    order = scores.argsort(descending=True, stable=True)  # as torchvision
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    suppressed = torch.zeros(len(boxes), dtype=torch.bool)
    keep = []
    for index in order.tolist():
        if suppressed[index]:
            continue
        keep.append(index)
        top_left = torch.maximum(boxes[index, :2], boxes[:, :2])
        bottom_right = torch.minimum(boxes[index, 2:], boxes[:, 2:])
        inter = (bottom_right - top_left).clamp(min=0).prod(dim=1)
        iou = inter / (areas[index] + areas - inter)
        suppressed |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)


def _quantized_nms(boxes: torch.Tensor, scores: torch.Tensor,
                   iou_threshold: float) -> torch.Tensor:
    return _greedy_nms(boxes.dequantize(), scores.dequantize(), iou_threshold)


def _torchvision_library_loads() -> bool:
    """Whether torchvision's compiled operator library loads here."""
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return True  # no torchvision: nothing to repair
    folder = list(spec.submodule_search_locations)[0]
    libraries = glob.glob(os.path.join(folder, '_C.*'))
    if not libraries:
        return False
    try:
        torch.ops.load_library(libraries[0])
    except (OSError, RuntimeError):
        return False
    return True


def register_torchvision_cpu_ops() -> bool:
    """Define CPU ``torchvision::nms``/``qnms`` if torchvision's own ops
    cannot load. Must run before ``import torchvision``.

    Returns:
        bool: True if the fallback operators were registered.
    """
    global _TORCHVISION_CPU_LIBRARY
    if _TORCHVISION_CPU_LIBRARY is not None:
        return True
    if 'torchvision' in sys.modules or _torchvision_library_loads():
        return False
    library = torch.library.Library('torchvision', 'DEF')
    schema = '(Tensor dets, Tensor scores, float iou_threshold) -> Tensor'
    library.define('nms' + schema)
    library.define('qnms' + schema)
    library.impl('nms', _greedy_nms, 'CPU')
    library.impl('qnms', _quantized_nms, 'QuantizedCPU')
    _TORCHVISION_CPU_LIBRARY = library
    # torchvision.ops checks its own "library loaded" flag before each op.
    import torchvision.extension
    torchvision.extension._has_ops = lambda: True
    return True


def _missing_compiled_op(name: str) -> Callable:

    def unavailable(*args, **kwargs):
        raise RuntimeError(
            f'mmcv compiled operator "{name}" is not available: this '
            'environment has mmcv-lite. Install full mmcv to use it.')

    unavailable.__name__ = name
    return unavailable


def install_mmcv_ext_placeholder() -> bool:
    """Stand in for ``mmcv._ext`` when mmcv-lite is installed.

    Returns:
        bool: True if the placeholder was installed.
    """
    if 'mmcv._ext' in sys.modules:
        return False
    if importlib.util.find_spec('mmcv') is None:
        return False
    if importlib.util.find_spec('mmcv._ext') is not None:
        return False
    placeholder = types.ModuleType('mmcv._ext')
    placeholder.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)
    placeholder.vpt_mm_placeholder = True

    def module_getattr(name: str) -> Callable:
        if name.startswith('__'):
            raise AttributeError(name)
        return _missing_compiled_op(name)

    placeholder.__getattr__ = module_getattr
    sys.modules['mmcv._ext'] = placeholder
    import mmcv
    mmcv._ext = placeholder
    return True


def mmengine_checkpoint_globals() -> List:
    """The data-only globals that mmengine writes into a run's checkpoint:
    the message hub's ``HistoryBuffer`` and the numpy arrays, scalars and
    dtypes inside it. None of them can call arbitrary code."""
    from mmengine.logging import HistoryBuffer
    multiarray = _numpy_multiarray()
    return [
        HistoryBuffer, multiarray.scalar,
        (_history_buffer_statistic, 'builtins.getattr')
    ] + numpy_array_globals()


def _history_buffer_statistic(buffer: type, name: str):
    """Stand-in for ``getattr`` while unpickling a run's checkpoint.

    A ``HistoryBuffer`` pickles its registry of statistics (``min``,
    ``mean``, ...) as ``getattr(HistoryBuffer, 'min')``. A general
    ``getattr`` would let a crafted file reach any attribute of any allowed
    object, so only that one use is accepted.
    """
    from mmengine.logging import HistoryBuffer
    statistics = {'min', 'max', 'mean', 'current'}
    statistics.update(HistoryBuffer._statistics_methods)
    if buffer is HistoryBuffer and name in statistics:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({buffer!r}, {name!r}); '
        'only HistoryBuffer statistics are allowed')


def _numpy_multiarray() -> types.ModuleType:
    import numpy as np
    core = getattr(np, '_core', None) or np.core  # numpy 2.x or 1.x
    return core.multiarray


def numpy_array_globals() -> List:
    """Globals a pickled numpy array needs: its reconstructor, ``ndarray``,
    ``dtype`` and the concrete dtype classes (``Float64DType``, ...)."""
    import numpy as np
    allowed = [_numpy_multiarray()._reconstruct, np.ndarray, np.dtype]
    allowed += [type(np.dtype(code)) for code in np.typecodes['All']]
    return allowed


def _trust_run_checkpoints(load_checkpoint: Callable) -> Callable:

    @functools.wraps(load_checkpoint)
    def load_run_checkpoint(*args, **kwargs):
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return load_checkpoint(*args, **kwargs)

    load_run_checkpoint.vpt_mm_patched = True
    return load_run_checkpoint


def allow_mmengine_checkpoint_globals() -> bool:
    """Let ``Runner.load_checkpoint`` (``--resume``, ``load_from``) read
    mmengine checkpoints under ``weights_only`` loading.

    Returns:
        bool: True if the runner was patched by this call.
    """
    if not hasattr(torch.serialization, 'safe_globals'):
        return False  # torch < 2.5 does not load weights-only by default
    from mmengine.runner import Runner
    if getattr(Runner.load_checkpoint, 'vpt_mm_patched', False):
        return False
    Runner.load_checkpoint = _trust_run_checkpoints(Runner.load_checkpoint)
    return True


def _package_is_installed(package: str) -> bool:
    """``mmengine.utils.is_installed`` without ``pkg_resources``."""
    import importlib.metadata
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


@functools.lru_cache(maxsize=None)
def _package_installed_path(package: str) -> str:
    """``mmengine.utils.get_installed_path`` without ``pkg_resources``: the
    folder of the package's top-level module (``mmsegmentation`` ->
    ``.../mmseg``). Cached: scanning the installed distributions costs
    ~0.3 s, on every ``mmseg::`` base otherwise."""
    import importlib.metadata
    names = [package]
    try:
        importlib.metadata.distribution(package)
        names += [
            module for module, dists in
            importlib.metadata.packages_distributions().items()
            if package in dists
        ]
    except importlib.metadata.PackageNotFoundError:
        pass
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin is not None:
            return os.path.dirname(spec.origin)
    raise ModuleNotFoundError(f'package {package!r} is not installed')


def _pkg_resources_importable() -> bool:
    try:
        import pkg_resources  # noqa: F401
        return True
    except ImportError:
        return False


def use_importlib_package_lookup() -> bool:
    """Let ``mmseg::``/``mmpretrain::`` config bases resolve where
    ``pkg_resources`` is gone (setuptools >= 81).

    Returns:
        bool: True if mmengine's config loader was patched by this call.
    """
    if _pkg_resources_importable():
        return False
    import mmengine.config.config as config_module
    if getattr(config_module.is_installed, 'vpt_mm_patched', False):
        return False
    _package_is_installed.vpt_mm_patched = True
    config_module.is_installed = _package_is_installed
    config_module.get_installed_path = _package_installed_path
    return True


def cache_external_config_lookup() -> bool:
    """Remember mmengine's metafile lookup of host configs (``mmseg::``).

    The host's metafiles do not change while a process runs; the answer,
    a path or the ``ValueError`` that sends mmengine to the base-config
    path, is the same every time.

    Returns:
        bool: True if mmengine's config loader was patched by this call.
    """
    if _pkg_resources_importable():
        return False  # an install where mmengine's own look-up works as is
    import mmengine.config.config as config_module
    lookup = config_module._get_external_cfg_path
    if getattr(lookup, 'vpt_mm_patched', False):
        return False

    @functools.lru_cache(maxsize=None)
    def answer(package_path: str, cfg_file: str):
        try:
            return lookup(package_path, cfg_file), None
        except ValueError as error:
            return None, str(error)

    @functools.wraps(lookup)
    def cached_lookup(package_path: str, cfg_file: str) -> str:
        path, error = answer(package_path, cfg_file)
        if error is not None:
            raise ValueError(error)
        return path

    cached_lookup.vpt_mm_patched = True
    config_module._get_external_cfg_path = cached_lookup
    return True


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Prepare a ``torchrun`` launch on a machine without CUDA.

    Initialises the gloo process group from the ``torchrun`` environment
    (mmengine then skips its CUDA-only initialisation) and wraps the model in
    :class:`CPUDistributedDataParallel` (see :func:`register_cpu_ddp`). Does
    nothing when CUDA is available, when the launch is not distributed or
    when a group already exists.

    Args:
        cfg (Config): The run's config; ``model_wrapper_cfg`` and
            ``env_cfg.dist_cfg`` are filled in when absent, and a
            ``MMDistributedDataParallel`` wrapper becomes the CPU one.
        launcher (str): The launcher named on the command line.

    Returns:
        bool: True if a CPU process group was set up.
    """
    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
    register_cpu_ddp()
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type', 'MMDistributedDataParallel') == \
            'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
    wrapper.setdefault('device_ids', None)
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper
    return True


def register_cpu_ddp() -> type:
    """Register ``CPUDistributedDataParallel`` in mmengine's
    ``MODEL_WRAPPERS`` (once) and return it.

    It is mmengine's ``MMDistributedDataParallel`` for CPU processes: no
    device ids, and SyncBN layers (from a ``norm_cfg`` of type ``SyncBN`` or
    ``cfg.sync_bn``) reverted to BN first, as mmengine does for a
    non-distributed run, with a logged warning: ``SyncBatchNorm`` needs CUDA
    (DDP rejects it on CPU modules), so each process normalises with its
    own batch's statistics.
    """
    import logging

    from mmengine.logging import print_log
    from mmengine.model import MMDistributedDataParallel
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import MODEL_WRAPPERS
    registered = MODEL_WRAPPERS.get('CPUDistributedDataParallel')
    if registered is not None:
        return registered

    class CPUDistributedDataParallel(MMDistributedDataParallel):
        """``MMDistributedDataParallel`` for CPU (gloo) processes; SyncBN
        layers are reverted to BN."""

        def __init__(self, module, **kwargs) -> None:
            count = sum(
                type(layer).__name__ == 'SyncBatchNorm'
                for layer in module.modules())
            if count:
                module = revert_sync_batchnorm(module)
                print_log(
                    f'{count} SyncBatchNorm layer(s) reverted to BatchNorm: '
                    'SyncBN needs CUDA; in this CPU distributed run each '
                    'process normalises with its own batch statistics',
                    logger='current',
                    level=logging.WARNING)
            kwargs['device_ids'] = None
            super().__init__(module=module, **kwargs)

    MODEL_WRAPPERS.register_module(module=CPUDistributedDataParallel)
    return CPUDistributedDataParallel


def apply() -> None:
    """Apply every import-time shim; each is a no-op where not needed."""
    register_torchvision_cpu_ops()
    install_mmcv_ext_placeholder()
    allow_mmengine_checkpoint_globals()
    use_importlib_package_lookup()
    cache_external_config_lookup()


@contextlib.contextmanager
def numpy_data_globals():
    """Allow plain numpy arrays (e.g. official VPT prompt files) in a
    ``weights_only`` load, nothing else."""
    with torch.serialization.safe_globals(numpy_array_globals()):
        yield
