"""The delta file: a run's trained tensors on a shared backbone.

A delta is a ``.safetensors`` file whose header metadata names the format
(:data:`~vpt_mm.checkpoint.names.DELTA_FORMAT`), the methods and the
config; its tensors are under the model's own ``state_dict`` keys. Putting
one on a model is strict: every key the model trains must be there with its
shape, and nothing else may be. Which keys a model trains is the model's
side: :mod:`vpt_mm.models.delta`.

A delta is bound to the backbone it was trained on: its metadata holds
``backbone_sha256`` (:func:`fingerprint_tensors` of the frozen backbone),
``backbone_checkpoint`` (the pretrained file, '' for an uninitialised
backbone) and the fields of :data:`BINDING_FIELDS` (JSON), which
:func:`check_delta_binding` and :func:`check_backbone_fingerprint` compare
with the model's before a delta is applied. Only finite float tensors are
read (:func:`check_delta_values`).

API::

    write_delta('epoch_100.delta.safetensors', tensors, methods, 'a.py')
    tensors, meta = read_delta('epoch_100.delta.safetensors')
    check_delta(tensors, own, expected, source, owner)  # raises on misfit
    check_delta_binding(meta, model_binding, source)    # raises on misfit
    check_backbone_fingerprint(meta, sha256, checkpoint, source)
    apply_delta_tensors(module, tensors, expected, source)
"""
import hashlib
import json
import logging
import os.path as osp
import warnings
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from .atomic import atomic_path
from .io import UnreadableWeightsError, load_weights_file
from .names import DELTA_FORMAT
from .strict import CheckpointMismatchError

#: The ending a delta file must have (the writer's check); a checkpoint
#: file with it is taken for a delta.
DELTA_CONTAINER_SUFFIX = '.safetensors'

#: The one integer tensor a delta may hold: a BatchNorm's step counter.
INTEGER_KEY_SUFFIX = '.num_batches_tracked'
#: The metadata key of the frozen backbone's fingerprint.
FINGERPRINT_KEY = 'backbone_sha256'
#: The metadata key of the pretrained backbone file ('' when none).
BACKBONE_CHECKPOINT_KEY = 'backbone_checkpoint'
#: Metadata fields (JSON) that must equal the model's for a delta to apply:
#: the model's classes (a :func:`write_delta` argument), the backbone's
#: architecture (type, arch, image and patch size), its prompt_cfg and the
#: head's shape.
BINDING_FIELDS = ('methods', 'signature', 'prompt_cfg', 'head')
#: The command-line override of :func:`check_backbone_fingerprint`.
OVERRIDE_FLAG = '--allow-other-backbone'


class DeltaBindingError(CheckpointMismatchError):
    """A delta does not belong to the model or backbone it is put on."""


def fingerprint_tensors(tensors: Mapping[str, torch.Tensor]) -> str:
    """The sha256 of ``tensors``: every key, dtype, shape and the bytes of
    the values, in sorted key order (device and memory layout do not
    matter).

    Hashing costs one pass over the bytes, measured on one CPU core with
    random ``VisionTransformer`` state dicts: 0.20 s for ViT-B (86 M
    float32 values) and 0.68 s for ViT-L (303 M); a run's hook computes it
    once (see docs/peft.md).

    Returns:
        str: 64 hex digits.
    """
    digest = hashlib.sha256()
    for key in sorted(tensors):
        value = tensors[key].detach()
        digest.update(
            f'{key}|{value.dtype}|{tuple(value.shape)}\n'.encode())
        flat = value.cpu().contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy().data)
    return digest.hexdigest()


def check_delta_values(tensors: Mapping[str, torch.Tensor],
                       source: str) -> None:
    """Refuse a delta with a tensor that is not float (but for BatchNorm's
    integer ``num_batches_tracked``) or not finite.

    Raises:
        CheckpointMismatchError: Naming the first offending key.
    """
    for key, value in tensors.items():
        if key.endswith(INTEGER_KEY_SUFFIX) and value.dtype == torch.int64:
            continue
        if not value.is_floating_point():
            raise CheckpointMismatchError(
                f'{source}: key "{key}" holds {value.dtype} values; a '
                'delta holds float tensors only')
        if not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise CheckpointMismatchError(
                f'{source}: key "{key}" holds {bad} non-finite value(s) '
                '(NaN or inf): the delta is corrupt')


def _decoded(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def check_delta_binding(meta: Mapping[str, str], binding: Mapping[str, str],
                        source: str) -> None:
    """Check a delta's metadata against the model's :data:`BINDING_FIELDS`.

    A field the delta lacks (an older delta) is not compared; one it holds
    must equal the model's.

    Args:
        meta (Mapping[str, str]): The delta's metadata.
        binding (Mapping[str, str]): The model's fields (JSON strings).
        source (str): The delta file, for messages.

    Raises:
        DeltaBindingError: Naming the first field that differs.
    """
    for field in BINDING_FIELDS:
        if field not in meta or field not in binding:
            continue
        theirs, ours = _decoded(meta[field]), _decoded(binding[field])
        if theirs == ours:
            continue
        if isinstance(theirs, dict) and isinstance(ours, dict):
            key = sorted(k for k in set(theirs) | set(ours)
                         if theirs.get(k) != ours.get(k))[0]
            field, theirs, ours = f'{field}.{key}', theirs.get(key), \
                ours.get(key)
        raise DeltaBindingError(
            f'{source}: metadata "{field}" is {json.dumps(theirs)} in the '
            f"delta but {json.dumps(ours)} in the config's model: the "
            'delta belongs to another config')


def check_backbone_fingerprint(meta: Mapping[str, str],
                               fingerprint: str,
                               checkpoint: Optional[str],
                               source: str,
                               allow_other_backbone: bool = False) -> None:
    """Check that a delta goes on the backbone it was trained on.

    Args:
        meta (Mapping[str, str]): The delta's metadata.
        fingerprint (str): :func:`fingerprint_tensors` of the model's
            frozen backbone, as loaded.
        checkpoint (str, optional): The model's pretrained backbone file
            (its ``init_cfg``); None when it has none (uninitialised).
        source (str): The delta file, for messages.
        allow_other_backbone (bool): Log the misfit instead of raising
            (:data:`OVERRIDE_FLAG`).

    Raises:
        DeltaBindingError: A different or missing backbone, one line
            naming both fingerprints and both backbone files.
    """
    theirs = meta.get(FINGERPRINT_KEY)
    if theirs is None:
        message = (f'{source}: an older delta without a backbone '
                   f'fingerprint ("{FINGERPRINT_KEY}"): it cannot be checked '
                   'against the backbone it goes on')
        warnings.warn(message, stacklevel=2)
        print_log(message, logger='current', level=logging.WARNING)
        return
    trained_on = meta.get(BACKBONE_CHECKPOINT_KEY) or 'an uninitialised ' \
        'backbone'
    if checkpoint is None:
        problem = (f"the model's backbone {fingerprint} is uninitialised "
                   '(the config has no pretrained init_cfg for it)')
    elif fingerprint != theirs:
        problem = (f"the model's backbone {fingerprint} (from {checkpoint}) "
                   'is another')
    else:
        return
    message = (f'{source}: the delta was trained on backbone {theirs} (from '
               f'{trained_on}) but {problem}')
    if not allow_other_backbone:
        raise DeltaBindingError(
            f'{message}; pass {OVERRIDE_FLAG} to apply it anyway')
    print_log(f'{OVERRIDE_FLAG}: {message}; applying it anyway',
              logger='current', level=logging.WARNING)


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
    with atomic_path(filename) as tmp:
        save_file(dict(tensors), tmp, metadata=meta)


def read_delta(
        filename: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Read a delta: its tensors and its metadata.

    Raises:
        FileNotFoundError: If there is no such file.
        CheckpointMismatchError: The file is not a vpt_mm delta, or holds a
            non-float or non-finite tensor.
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
    check_delta_values(file.content, filename)
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
    load_checked_delta(module, tensors, source)


def load_checked_delta(module: nn.Module,
                       tensors: Mapping[str, torch.Tensor],
                       source: str) -> None:
    """Load ``tensors`` that passed :func:`check_delta` on top of
    ``module`` (its other tensors stay as they are)."""
    module.load_state_dict(tensors, strict=False)
    print_log(f'Loaded the delta {source}: {len(tensors)} trained tensors',
              logger='current')
