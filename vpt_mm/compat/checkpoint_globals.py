"""Patch 3: mmengine's own checkpoints under ``weights_only`` loading.

torch >= 2.6 loads checkpoints with ``weights_only=True``. mmengine's
checkpoints carry a ``HistoryBuffer`` and numpy values, so ``--resume`` and
``load_from`` fail. :func:`allow_mmengine_checkpoint_globals` makes
:meth:`mmengine.runner.Runner.load_checkpoint` (resume and ``load_from``,
i.e. a run's own checkpoints) accept exactly those data-only globals, and
:func:`allow_run_checkpoints_in_local_loader` does the same for mmengine's
local-file loader, which ``mmengine.runner.load_checkpoint`` uses: the
hosts' inference APIs (mmpretrain's ``get_model`` and inferencers,
mmseg's ``init_model`` and ``MMSegInferencer``) then load a run's
``iter_N.pth``/``epoch_N.pth``. The allow-list holds data only (no
callable but the one ``getattr`` of ``HistoryBuffer`` statistics), so a
file that asks for anything else still fails. Nothing turns
``weights_only`` off.
"""
import contextlib
import functools
import pickle
import types
from typing import Callable, List

import torch


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


def allow_run_checkpoints_in_local_loader() -> bool:
    """Let mmengine's local-file checkpoint loader (the ``''`` scheme of
    ``CheckpointLoader``, behind ``mmengine.runner.load_checkpoint``) read
    a run's own checkpoints under ``weights_only`` loading.

    Returns:
        bool: True if the loader was patched by this call.
    """
    if not hasattr(torch.serialization, 'safe_globals'):
        return False
    from mmengine.runner.checkpoint import CheckpointLoader
    loader = CheckpointLoader._schemes.get('')
    if loader is None or getattr(loader, 'vpt_mm_patched', False):
        return False

    @functools.wraps(loader)
    def load_from_local(filename, map_location):
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return loader(filename, map_location)

    load_from_local.vpt_mm_patched = True
    CheckpointLoader.register_scheme('', load_from_local, force=True)
    return True


@contextlib.contextmanager
def numpy_data_globals():
    """Allow plain numpy arrays (e.g. official VPT prompt files) in a
    ``weights_only`` load, nothing else."""
    with torch.serialization.safe_globals(numpy_array_globals()):
        yield
