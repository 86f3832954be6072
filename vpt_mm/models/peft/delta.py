"""Per-task delta checkpoints: only what a run trains, on a shared backbone.

A delta holds the tensors a method trains (prompts, head, biases, adapters,
tuned blocks, side network) and the persistent buffers (BatchNorm
statistics) of modules that train as a whole, under the model's own
``state_dict`` keys. It is a ``.safetensors`` file whose header metadata
names the format, the methods and the config. Loading puts it on top of
the pretrained backbone strictly: every key the model trains must be there
with its shape, and nothing else may be.

API::

    keys = delta_keys(model)                   # what a run saves
    tensors = delta_state_dict(model)          # {key: tensor}, detached
    save_delta(model, 'epoch_100.delta.safetensors', config='a.py')
    tensors, meta = read_delta('epoch_100.delta.safetensors')
    apply_delta(model, tensors, source='epoch_100.delta.safetensors')
    load_delta(model, 'epoch_100.delta.safetensors')  # read + apply
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from ..utils.checkpoint import CheckpointMismatchError

DELTA_FORMAT = 'vpt_mm.delta/1'
DELTA_SUFFIX = '.safetensors'


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP (or other mmengine) wrapper."""
    return model.module if is_model_wrapper(model) else model


def delta_keys(model: nn.Module) -> List[str]:
    """The ``state_dict`` keys a run of ``model`` trains, in order.

    Trainable parameters, and the persistent buffers of every module whose
    own parameters all train (e.g. a tuned block's or an Mlp head's
    BatchNorm statistics). Frozen modules stay in eval mode (see
    :class:`~vpt_mm.models.peft.base.PEFTWrapper`), so their buffers never
    change and are not saved.
    """
    model = unwrap(model)
    wanted = {id(p) for p in model.parameters() if p.requires_grad}
    for module in model.modules():
        own = list(module.parameters(recurse=False))
        if own and all(param.requires_grad for param in own):
            wanted.update(
                id(buffer)
                for name, buffer in module.named_buffers(recurse=False)
                if name not in module._non_persistent_buffers_set)
    state = model.state_dict(keep_vars=True)
    return [key for key, value in state.items() if id(value) in wanted]


def delta_state_dict(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The tensors of :func:`delta_keys`, detached, contiguous, on CPU."""
    model = unwrap(model)
    keys = set(delta_keys(model))
    return {
        key: value.detach().cpu().contiguous().clone()
        for key, value in model.state_dict().items() if key in keys
    }


def model_methods(model: nn.Module) -> List[str]:
    """The model's class and those of its backbone, wrappers and head, for
    the delta's metadata (e.g. ``['ImageClassifier', 'BiasTuning',
    'PromptedViT', 'LinearClsHead']``)."""
    model = unwrap(model)
    names = [type(model).__name__]
    for child_name in ('backbone', 'neck', 'head', 'decode_head'):
        child = model._modules.get(child_name)
        while child is not None:
            names.append(type(child).__name__)
            child = child._modules.get('module') if hasattr(
                child, 'trained_modules') else None
    return names


def save_delta(model: nn.Module,
               filename: str,
               config: Optional[str] = None,
               extra_meta: Optional[Dict[str, str]] = None) -> List[str]:
    """Write :func:`delta_state_dict` of ``model`` to ``filename``.

    Args:
        model (nn.Module): The (possibly DDP-wrapped) model.
        filename (str): A ``.safetensors`` path.
        config (str, optional): The config file the model was built from.
        extra_meta (dict, optional): More string metadata (epoch, iter).

    Returns:
        list[str]: The keys written.
    """
    from safetensors.torch import save_file
    if not filename.endswith(DELTA_SUFFIX):
        raise ValueError(f'a delta file ends with {DELTA_SUFFIX}: {filename}')
    tensors = delta_state_dict(model)
    if not tensors:
        raise ValueError('the model trains nothing: no delta to save')
    meta = {
        'format': DELTA_FORMAT,
        'methods': json.dumps(model_methods(model)),
        'config': config or '',
    }
    for key, value in (extra_meta or {}).items():
        meta[key] = str(value)
    os.makedirs(osp.dirname(osp.abspath(filename)), exist_ok=True)
    save_file(tensors, filename, metadata=meta)
    return list(tensors)


def read_delta(
        filename: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Read a delta: its tensors and its metadata.

    Raises:
        CheckpointMismatchError: The file is not a vpt_mm delta.
    """
    from safetensors import safe_open
    if not osp.isfile(filename):
        raise FileNotFoundError(f'delta: no file at {filename}')
    try:
        with safe_open(filename, framework='pt') as file:
            meta = dict(file.metadata() or {})
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except Exception as error:  # safetensors raises its own error types
        raise CheckpointMismatchError(
            f'{filename}: not a safetensors file ({error})') from error
    if meta.get('format') != DELTA_FORMAT:
        raise CheckpointMismatchError(
            f'{filename}: metadata "format" is {meta.get("format")!r}, '
            f'expected {DELTA_FORMAT!r} (not a vpt_mm delta)')
    return tensors, meta


def apply_delta(model: nn.Module, tensors: Dict[str, torch.Tensor],
                source: str) -> None:
    """Load a delta on top of ``model`` (whose backbone is already loaded).

    Strict: every key of :func:`delta_keys` must be present with the
    model's shape, and no other key may be (a delta never overwrites the
    shared frozen backbone).

    Raises:
        CheckpointMismatchError: Naming the first offending key.
    """
    model = unwrap(model)
    expected = delta_keys(model)
    own = model.state_dict()
    unexpected = [key for key in tensors if key not in own]
    if unexpected:
        raise CheckpointMismatchError(
            f'{source}: unexpected key(s) {unexpected[:5]} '
            f'({len(unexpected)} in all) not in {type(model).__name__}')
    frozen = [key for key in tensors if key not in set(expected)]
    if frozen:
        raise CheckpointMismatchError(
            f'{source}: key(s) {frozen[:5]} ({len(frozen)} in all) are '
            'frozen in this config; a delta holds trained tensors only')
    missing = [key for key in expected if key not in tensors]
    if missing:
        raise CheckpointMismatchError(
            f'{source}: missing trained key(s) {missing[:5]} '
            f'({len(missing)} in all) of {type(model).__name__}')
    for key, value in tensors.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise CheckpointMismatchError(
                f'{source}: key "{key}" has shape {tuple(value.shape)} in '
                f'the delta but {tuple(own[key].shape)} in the model')
    model.load_state_dict(tensors, strict=False)
    print_log(f'Loaded the delta {source}: {len(tensors)} trained tensors',
              logger='current')


def load_delta(model: nn.Module, filename: str) -> Dict[str, str]:
    """:func:`read_delta` then :func:`apply_delta`; returns the metadata."""
    tensors, meta = read_delta(filename)
    apply_delta(model, tensors, filename)
    return meta
