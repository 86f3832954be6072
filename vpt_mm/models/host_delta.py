"""Deltas through the hosts' own loading: ``mmengine``'s ``load_checkpoint``.

mmpretrain's ``get_model`` and inferencers (``pretrained=``), mmseg's
``init_model`` and ``MMSegInferencer`` and ``Runner.load_checkpoint``
(``load_from``) all load weights with mmengine's ``_load_checkpoint`` and
``_load_checkpoint_to_model``. :func:`install_host_delta_loading` wraps
both, so a vpt_mm delta file given to any of them is read as a delta and
put on the model correctly: the model's pretrained backbone is loaded from
its ``init_cfg`` first (the hosts build models without it), then the
delta goes on top, bound to that backbone (:func:`.delta.load_delta`).
A model whose backbone has no pretrained ``init_cfg`` (mmseg's
``init_model`` drops it) refuses the delta with a one-line
``DeltaBindingError``: it never predicts from an uninitialised backbone.
The delta's ``classes`` (and ``palette``) become the checkpoint's
``dataset_meta``.
"""
import functools
import json
import os.path as osp
import sys

from mmengine.model import is_model_wrapper

from vpt_mm.checkpoint.delta import DELTA_CONTAINER_SUFFIX, read_delta
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from .delta import load_delta

#: The key of a loaded delta's file in the checkpoint's ``meta``.
DELTA_META_KEY = 'vpt_mm_delta'
_HINT = ('; give tools/infer.py or tools/test.py the config and the delta, '
         'or merge it into a full checkpoint with '
         'tools/model_converters/merge_delta.py')


def _is_delta(filename) -> bool:
    return isinstance(filename, str) and filename.endswith(
        DELTA_CONTAINER_SUFFIX) and osp.isfile(filename)


def _wrap_load(load):

    @functools.wraps(load)
    def load_checkpoint_or_delta(filename, *args, **kwargs):
        if not _is_delta(filename):
            return load(filename, *args, **kwargs)
        tensors, meta = read_delta(filename)
        dataset_meta = {
            key: json.loads(meta[key])
            for key in ('classes', 'palette') if meta.get(key)
        }
        return dict(
            state_dict=tensors,
            meta={DELTA_META_KEY: filename, 'dataset_meta': dataset_meta})

    load_checkpoint_or_delta.vpt_mm_patched = True
    return load_checkpoint_or_delta


def _wrap_to_model(to_model):

    @functools.wraps(to_model)
    def checkpoint_or_delta_to_model(model, checkpoint, *args, **kwargs):
        filename = checkpoint.get('meta', {}).get(DELTA_META_KEY) \
            if isinstance(checkpoint, dict) else None
        if filename is None:
            return to_model(model, checkpoint, *args, **kwargs)
        if is_model_wrapper(model):
            model = model.module
        if not getattr(model, 'is_init', True):
            model.init_weights()  # the pretrained backbone of its init_cfg
        try:
            load_delta(model, filename)
        except CheckpointMismatchError as error:
            raise type(error)(f'{error}{_HINT}') from error
        return checkpoint

    checkpoint_or_delta_to_model.vpt_mm_patched = True
    return checkpoint_or_delta_to_model


def install_host_delta_loading() -> bool:
    """Wrap mmengine's ``_load_checkpoint`` and ``_load_checkpoint_to_model``
    so that they load vpt_mm delta files as deltas; other files load as
    before.

    They are replaced in ``mmengine.runner.checkpoint`` (modules imported
    later bind the wrappers) and in every module already imported that
    bound the originals by name (mmengine's runner and ``BaseInferencer``,
    mmseg's ``MMSegInferencer``).

    Returns:
        bool: True if this call installed the wrappers.
    """
    from mmengine.runner import checkpoint
    if getattr(checkpoint._load_checkpoint, 'vpt_mm_patched', False):
        return False
    originals = {
        '_load_checkpoint': checkpoint._load_checkpoint,
        '_load_checkpoint_to_model': checkpoint._load_checkpoint_to_model,
    }
    wrapped = {
        '_load_checkpoint': _wrap_load(originals['_load_checkpoint']),
        '_load_checkpoint_to_model':
        _wrap_to_model(originals['_load_checkpoint_to_model']),
    }
    for module in list(sys.modules.values()):
        for name, original in originals.items():
            if getattr(module, '__dict__', {}).get(name) is original:
                setattr(module, name, wrapped[name])
    return True
