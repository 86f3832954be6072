"""The delta file: a run's trained tensors on a shared backbone.

A delta is a ``.safetensors`` file whose header metadata names the format
(:data:`~vpt_mm.checkpoint.names.DELTA_FORMAT`), the methods and the
config; its tensors are under the model's own ``state_dict`` keys. Putting
one on a model is strict: every key the model trains must be there with its
shape, and nothing else may be. Which keys a model trains is the model's
side: :mod:`vpt_mm.models.delta`.

API::

    write_delta('epoch_100.delta.safetensors', tensors, methods, 'a.py')
    tensors, meta = read_delta('epoch_100.delta.safetensors')
    check_delta(tensors, own, expected, source, owner)  # raises on misfit
    apply_delta_tensors(module, tensors, expected, source)
"""
import json
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from .io import UnreadableWeightsError, load_weights_file
from .names import DELTA_FORMAT
from .strict import CheckpointMismatchError

#: The ending a delta file must have (the writer's check); a checkpoint
#: file with it is taken for a delta.
DELTA_CONTAINER_SUFFIX = '.safetensors'


def write_delta(filename: str,
                tensors: Mapping[str, torch.Tensor],
                methods: Sequence[str],
                config: Optional[str] = None,
                extra_meta: Optional[Dict[str, str]] = None) -> None:
    """Write ``tensors`` as a delta file with its metadata.

    Args:
        filename (str): A ``.safetensors`` path.
        tensors (Mapping[str, Tensor]): Contiguous CPU tensors.
        methods (Sequence[str]): The model's classes, for the metadata.
        config (str, optional): The config file the model was built from.
        extra_meta (dict, optional): More string metadata (epoch, iter).

    Raises:
        ValueError: For another file ending or no tensors.
    """
    from safetensors.torch import save_file
    if not filename.endswith(DELTA_CONTAINER_SUFFIX):
        raise ValueError(
            f'a delta file ends with {DELTA_CONTAINER_SUFFIX}: {filename}')
    if not tensors:
        raise ValueError('the model trains nothing: no delta to save')
    meta = {
        'format': DELTA_FORMAT,
        'methods': json.dumps(list(methods)),
        'config': config or '',
    }
    for key, value in (extra_meta or {}).items():
        meta[key] = str(value)
    os.makedirs(osp.dirname(osp.abspath(filename)), exist_ok=True)
    save_file(dict(tensors), filename, metadata=meta)


def read_delta(
        filename: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Read a delta: its tensors and its metadata.

    Raises:
        FileNotFoundError: If there is no such file.
        CheckpointMismatchError: The file is not a vpt_mm delta.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'delta: no file at {filename}')
    try:
        file = load_weights_file(filename, containers=('safetensors', ))
    except UnreadableWeightsError as error:
        raise CheckpointMismatchError(
            f'{filename}: not a safetensors file ({error.cause})') from error
    meta = file.metadata
    if meta.get('format') != DELTA_FORMAT:
        raise CheckpointMismatchError(
            f'{filename}: metadata "format" is {meta.get("format")!r}, '
            f'expected {DELTA_FORMAT!r} (not a vpt_mm delta)')
    return file.content, meta


def check_delta(tensors: Mapping[str, torch.Tensor],
                own: Mapping[str, torch.Tensor], expected: Sequence[str],
                source: str, owner: str) -> None:
    """Check that ``tensors`` are exactly the ``expected`` keys of a
    module's state dict ``own``, each with its shape.

    Args:
        tensors (Mapping[str, Tensor]): The delta's tensors.
        own (Mapping[str, Tensor]): The module's state dict.
        expected (Sequence[str]): The keys the module trains.
        source (str): Where the tensors come from, for messages.
        owner (str): The module's class name, for messages.

    Raises:
        CheckpointMismatchError: Naming the first offending key.
    """
    unexpected = [key for key in tensors if key not in own]
    if unexpected:
        raise CheckpointMismatchError(
            f'{source}: unexpected key(s) {unexpected[:5]} '
            f'({len(unexpected)} in all) not in {owner}')
    frozen = [key for key in tensors if key not in set(expected)]
    if frozen:
        raise CheckpointMismatchError(
            f'{source}: key(s) {frozen[:5]} ({len(frozen)} in all) are '
            'frozen in this config; a delta holds trained tensors only')
    missing = [key for key in expected if key not in tensors]
    if missing:
        raise CheckpointMismatchError(
            f'{source}: missing trained key(s) {missing[:5]} '
            f'({len(missing)} in all) of {owner}')
    for key, value in tensors.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise CheckpointMismatchError(
                f'{source}: key "{key}" has shape {tuple(value.shape)} in '
                f'the delta but {tuple(own[key].shape)} in the model')


def apply_delta_tensors(module: nn.Module,
                        tensors: Mapping[str, torch.Tensor],
                        expected: List[str], source: str) -> None:
    """:func:`check_delta` against ``module``, then load ``tensors`` on top
    of it (its other tensors stay as they are).

    Raises:
        CheckpointMismatchError: Naming the first offending key.
    """
    check_delta(tensors, module.state_dict(), expected, source,
                type(module).__name__)
    module.load_state_dict(tensors, strict=False)
    print_log(f'Loaded the delta {source}: {len(tensors)} trained tensors',
              logger='current')
