"""The runner of every vpt_mm run: strict loading, reproducible resume,
atomic checkpoints.

:class:`ResumableRunner` is mmengine's ``Runner`` with four changes:

- ``load_from`` and ``--resume`` load strictly: a missing or unexpected
  key, or a shape that differs, is a one-line
  :class:`~vpt_mm.checkpoint.strict.CheckpointMismatchError` naming the
  key (and both shapes), not a logged warning followed by training from
  fresh prompts. A delta given to ``--resume`` is refused with a message
  naming the full checkpoint it needs (a delta has no optimizer, scheduler
  or iteration); ``load_from`` of a delta still works (the host's delta
  loading, :mod:`vpt_mm.models.host_delta`).
- Every checkpoint holds the random states of every rank and the data
  sampler's seed; ``--resume`` puts them back where the uninterrupted run
  continues (:mod:`vpt_mm.engine.loops`), so a killed and resumed run is
  the uninterrupted run, bit for bit on CPU.
- The checkpoint file is written to a temporary name and renamed
  (:func:`~vpt_mm.checkpoint.atomic.atomic_path`); with the
  :class:`~vpt_mm.engine.hooks.AtomicCheckpointHook` (which replaces every
  ``CheckpointHook`` of the config) the pointers follow the file and old
  checkpoints are pruned last.
- The default training loops are the resumable ones.

``vpt_mm.apis.runner.build_runner`` builds it for every config that names
no ``runner_type``.
"""
import contextlib
import os.path as osp
import re
from typing import Callable, Dict, Optional, Union

import torch
from mmengine.dist import get_rank, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner

from vpt_mm.checkpoint.atomic import atomic_path
from vpt_mm.checkpoint.delta import DELTA_CONTAINER_SUFFIX
from vpt_mm.checkpoint.names import DELTA_FILE_SUFFIX
from vpt_mm.checkpoint.strict import (CheckpointMismatchError,
                                      load_state_dict_strictly)
from vpt_mm.compat.checkpoint_globals import mmengine_checkpoint_globals
from vpt_mm.models.host_delta import DELTA_META_KEY
from .hooks.atomic_checkpoint_hook import AtomicCheckpointHook
from .loops import ResumableEpochBasedTrainLoop, ResumableIterBasedTrainLoop
from .rng import RNG_META_KEY, gather_rng_states, rank_rng_state

#: The data sampler's seed in a checkpoint's ``meta``.
SAMPLER_SEED_KEY = 'vpt_mm_sampler_seed'
_LOOPS = {
    'IterBasedTrainLoop': ResumableIterBasedTrainLoop,
    IterBasedTrainLoop: ResumableIterBasedTrainLoop,
    'EpochBasedTrainLoop': ResumableEpochBasedTrainLoop,
    EpochBasedTrainLoop: ResumableEpochBasedTrainLoop,
}


class ResumeError(CheckpointMismatchError):
    """A file given to ``--resume`` is not a run's full checkpoint."""


def _run_checkpoint_globals():
    """Mmengine's data-only checkpoint globals, for ``weights_only``."""
    if not hasattr(torch.serialization, 'safe_globals'):
        return contextlib.nullcontext()
    return torch.serialization.safe_globals(mmengine_checkpoint_globals())


def check_resumable(filename: str) -> None:
    """Refuse a delta given where a full checkpoint is needed.

    Raises:
        ResumeError: Naming the file and the checkpoint to give instead.
    """
    if str(filename).endswith(DELTA_CONTAINER_SUFFIX):
        name = str(filename)
        if name.endswith(DELTA_FILE_SUFFIX):
            name = name[:-len(DELTA_FILE_SUFFIX)] + '.pth'
        raise ResumeError(
            f'--resume: {filename} is a delta (the trained tensors only, no '
            'optimizer, scheduler or iteration); resume from the full '
            f'checkpoint saved with it ({name}), or start a new run from '
            f'the delta with load_from={filename}')


class ResumableRunner(Runner):
    """mmengine's ``Runner`` with strict loading, reproducible resume and
    atomic checkpoints (see the module's docstring)."""

    _resuming = False
    _loaded_checkpoint: Optional[dict] = None

    def register_hook(self,
                      hook: Union[Hook, Dict],
                      priority: Optional[Union[str, int]] = None) -> None:
        """Register ``hook``; a ``CheckpointHook`` config becomes an
        :class:`AtomicCheckpointHook` with the same arguments."""
        if isinstance(hook, dict) and hook.get('type') in (
                'CheckpointHook', CheckpointHook):
            hook = dict(hook, type=AtomicCheckpointHook)
        super().register_hook(hook, priority)

    def build_train_loop(self, loop):
        """Mmengine's iteration- and epoch-based loops become the
        resumable ones (:mod:`vpt_mm.engine.loops`)."""
        if isinstance(loop, dict):
            loop = dict(loop)
            if 'type' not in loop and 'by_epoch' in loop:
                loop['type'] = ResumableEpochBasedTrainLoop if loop.pop(
                    'by_epoch') else ResumableIterBasedTrainLoop
            elif loop.get('type') in _LOOPS:
                loop['type'] = _LOOPS[loop['type']]
        return super().build_train_loop(loop)

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: list = [(r'^module.', '')]):
        """Load ``filename`` into the model, strictly whatever ``strict``
        says (a delta through the host's delta loading, strict too).

        Raises:
            CheckpointMismatchError: Naming the file and the first key that
                does not fit (and both shapes).
        """
        from mmengine.runner import checkpoint as host  # the wrapped ones
        if self._resuming:
            check_resumable(filename)
        with _run_checkpoint_globals():
            checkpoint = host._load_checkpoint(
                filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model
        if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) \
            else None
        if isinstance(meta, dict) and DELTA_META_KEY in meta:
            host._load_checkpoint_to_model(
                model, checkpoint, True, revise_keys=revise_keys)
        else:
            state_dict = checkpoint.get('state_dict', checkpoint)
            for pattern, replacement in revise_keys:
                state_dict = {
                    re.sub(pattern, replacement, key): value
                    for key, value in state_dict.items()
                }
            load_state_dict_strictly(model, state_dict, source=filename)
        if self._resuming and not (isinstance(meta, dict)
                                   and 'iter' in meta and 'epoch' in meta):
            raise ResumeError(
                f'--resume: {filename} is not a training checkpoint (no '
                "'meta' with 'epoch' and 'iter'); give a run's "
                'iter_N.pth or epoch_N.pth, or use it as load_from')
        self._has_loaded = True
        if self._resuming:  # for resume() to read its random states
            self._loaded_checkpoint = checkpoint
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self, filename: str, *args, **kwargs) -> None:
        """Mmengine's ``resume`` (strict), then the random states and the
        sampler's seed of the checkpoint."""
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False
        meta = self._loaded_checkpoint['meta']
        self._loaded_checkpoint = None
        sampler = getattr(self.train_dataloader, 'sampler', None)
        if meta.get(SAMPLER_SEED_KEY) is not None and hasattr(
                sampler, 'seed'):
            sampler.seed = meta[SAMPLER_SEED_KEY]
        state = rank_rng_state(meta.get(RNG_META_KEY), filename)
        if hasattr(self.train_loop, 'continue_rng_state'):
            self.train_loop.continue_rng_state(state, resumed=True)

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """Mmengine's ``save_checkpoint`` with every rank's random states
        and the sampler's seed in ``meta``, written to a temporary file and
        renamed. Call it on every rank (it gathers the random states)."""
        states = gather_rng_states()
        if hasattr(self._train_loop, 'continue_rng_state'):
            self._train_loop.continue_rng_state(
                states[get_rank()], by_epoch=by_epoch)
        if not is_main_process():
            return
        meta = dict(meta or {})
        meta[RNG_META_KEY] = states
        meta[SAMPLER_SEED_KEY] = getattr(
            getattr(self.train_dataloader, 'sampler', None), 'seed', None)
        kwargs = dict(
            file_client_args=file_client_args,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args)
        if file_client_args is not None or backend_args is not None \
                or '://' in str(out_dir):
            super().save_checkpoint(out_dir, filename, **kwargs)
            return
        with atomic_path(osp.join(out_dir, filename)) as tmp:
            super().save_checkpoint(
                osp.dirname(tmp), osp.basename(tmp), **kwargs)
