"""Train on cached frozen features: the frozen part runs once per image.

``cache_frozen_features=True`` in a config (or ``'auto'``; what the sweep
sets through ``feature_cache_dir``) adds :class:`FrozenFeatureCacheHook`
(:func:`feature_cache_hook`). Before training it computes the output of
the model's frozen part (:class:`~vpt_mm.models.frozen_part.FrozenPart`)
for every sample of the training and validation sets, or finds it on
disk (:mod:`vpt_mm.datasets.feature_cache`), and trains and validates on
it: same samplers, same losses and weights as on the images, without the
frozen forward and without reading an image.
"""
import os.path as osp
import time
import types
from typing import Any, List, Optional, Tuple

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseDataPreprocessor
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import BatchSampler, DataLoader

from vpt_mm.datasets.feature_cache import (CachedFeatureDataset, cache_key,
                                           check_deterministic_pipeline,
                                           collate_features, open_cache,
                                           write_cache)
from vpt_mm.models.delta import delta_keys, unwrap
from vpt_mm.models.delta_binding import backbone_fingerprint
from vpt_mm.models.frozen_part import FrozenPart, NotCacheable
from vpt_mm.registry import register_hook

MODES = (True, 'auto')


def feature_cache_hook(cfg: Any) -> Optional[dict]:
    """The hook's config for ``cfg``, or None when the cache is off.

    ``cfg.cache_frozen_features``: ``True`` (refuse a model or pipeline
    the cache would change), ``'auto'`` (then train on images, with a log
    line) or ``False``; unset, it is ``'auto'`` when ``feature_cache_dir``
    is set (as the sweep does) and off otherwise. The cache lives in
    ``feature_cache_dir`` (default ``<work_dir>/feature_cache``).

    Raises:
        ValueError: ``cache_frozen_features`` is none of these.
    """
    mode = cfg.get('cache_frozen_features')
    cache_dir = cfg.get('feature_cache_dir')
    if mode is None:
        mode = 'auto' if cache_dir else False
    if mode is False:
        return None
    if mode not in MODES:
        raise ValueError('cache_frozen_features must be True, False or '
                         f"'auto', got {mode!r}")
    return dict(
        type='FrozenFeatureCacheHook',
        cache_dir=cache_dir or osp.join(cfg.work_dir, 'feature_cache'),
        mode=mode)


def _loops(runner) -> List[Tuple[str, Any]]:
    loops = [('train_dataloader', runner.train_loop)]
    val_loop = getattr(runner, '_val_loop', None)
    if val_loop is not None and hasattr(val_loop, 'dataloader'):
        loops.append(('val_dataloader', val_loop))
    return loops


@register_hook
class FrozenFeatureCacheHook(Hook):
    """Cache the frozen part's output and train on it; see the module.

    Args:
        cache_dir (str): Folder of the cache entries (shared by the runs
            of a sweep).
        mode (bool | str): ``True``: refuse (``ValueError``) what the cache
            would change; ``'auto'``: train on images then.
    """

    priority = 'VERY_HIGH'

    def __init__(self, cache_dir: str, mode: Any = True) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be True or 'auto', got {mode!r}")
        self.cache_dir = cache_dir
        self.mode = mode
        self._restore: List[Any] = []

    def before_train(self, runner) -> None:
        try:
            self._prepare(runner)
        except NotCacheable as error:
            if self.mode != 'auto':
                raise ValueError(f'cache_frozen_features: {error}') from None
            print_log(f'frozen-feature cache off: {error}', logger='current')

    def after_train(self, runner) -> None:
        for undo in reversed(self._restore):
            undo()
        self._restore.clear()

    def _prepare(self, runner) -> None:
        if get_world_size() > 1:
            raise NotCacheable('runs of more than one process are not '
                               'cached')
        model = unwrap(runner.model)
        part = FrozenPart(model)
        part.check_deterministic()
        preprocessor = model.data_preprocessor
        if getattr(preprocessor, 'batch_augments', None) is not None:
            raise NotCacheable('data_preprocessor.batch_augments mix images '
                               'at random')
        loops = _loops(runner)
        for key, loop in loops:  # refuse before computing anything
            loader = loop.dataloader
            try:
                check_deterministic_pipeline(
                    loader.dataset.pipeline.transforms, f'{key}.pipeline')
            except (AttributeError, ValueError) as error:
                raise NotCacheable(str(error) if isinstance(
                    error, ValueError) else f'{key}: the dataset '
                    f'{type(loader.dataset).__name__} has no pipeline')
            if len(loader.dataset) == 0 or 'gt_label' not in \
                    loader.dataset.get_data_info(0):
                raise NotCacheable(f'{key}: not a classification dataset '
                                   '(no gt_label in its samples)')
            if type(loader.batch_sampler) is not BatchSampler:
                raise NotCacheable(f'{key}: batch sampler '
                                   f'{type(loader.batch_sampler).__name__}')
        fingerprint = backbone_fingerprint(model, delta_keys(model))
        prep = dict(type=type(preprocessor).__name__, **{
            name: getattr(preprocessor, name).flatten().tolist()
            for name in ('mean', 'std')
            if isinstance(getattr(preprocessor, name, None), torch.Tensor)
        }, to_rgb=getattr(preprocessor, '_channel_conversion', None))
        loaders = [(key, loop,
                    self._entry(model, part, loop.dataloader, key,
                                fingerprint, prep)) for key, loop in loops]
        self._switch(model, part, loaders)

    def _entry(self, model, part: FrozenPart, loader: DataLoader, key: str,
               fingerprint: str, prep: dict) -> list:
        dataset = loader.dataset
        name = cache_key(fingerprint, part.describe(), repr(dataset.pipeline),
                         prep, dataset)
        folder = osp.join(self.cache_dir, name)
        entry = open_cache(folder)
        if entry is None:
            start = time.time()
            write_cache(folder, len(dataset),
                        lambda: self._batches(model, part, loader),
                        dict(cached=part.describe(),
                             patch_resolution=part.patch_resolution))
            entry = open_cache(folder)
            print_log(
                f'frozen-feature cache: {key} computed ({len(dataset)} '
                f'samples, {time.time() - start:.1f} s) -> {folder}',
                logger='current')
        else:
            print_log(f'frozen-feature cache: {key} read from {folder}',
                      logger='current')
        resolution = entry['meta'].get('patch_resolution')
        if resolution is not None:
            part.patch_resolution = tuple(resolution)
        return entry['arrays']

    @staticmethod
    def _batches(model, part: FrozenPart, loader: DataLoader):
        dataset, size = loader.dataset, loader.batch_size or 64
        was_training = model.training
        model.eval()
        try:
            for first in range(0, len(dataset), size):
                indices = list(range(first, min(first + size, len(dataset))))
                data = loader.collate_fn([dataset[i] for i in indices])
                data = model.data_preprocessor(data, False)
                yield indices, part.compute(data['inputs'])
        finally:
            model.train(was_training)

    def _switch(self, model, part: FrozenPart, loaders: list) -> None:
        """Train and validate on the cached outputs until training ends."""
        for key, loop, arrays in loaders:
            old = loop.dataloader
            new = DataLoader(
                CachedFeatureDataset(old.dataset, arrays),
                batch_size=old.batch_size,
                sampler=old.sampler,
                drop_last=old.drop_last,
                collate_fn=collate_features,
                num_workers=0)
            loop.dataloader = new
            if hasattr(loop, 'dataloader_iterator'):
                loop.dataloader_iterator = _InfiniteDataloaderIterator(new)
            self._restore.append(
                lambda loop=loop, old=old: setattr(loop, 'dataloader', old))
        preprocessor, backbone = model.data_preprocessor, part.backbone
        preprocessor.forward = types.MethodType(BaseDataPreprocessor.forward,
                                                preprocessor)
        backbone.forward = part.forward_rest
        self._restore.append(lambda: delattr(preprocessor, 'forward'))
        self._restore.append(lambda: delattr(backbone, 'forward'))
