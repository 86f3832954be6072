"""The one reader of weights files: never executing code from them.

The container is recognised by its content, not by the file name: a zip of
``.npy`` members is a numpy ``.npz`` (read with ``allow_pickle=False``), a
safetensors header is read with ``safetensors``, anything else (``.pth``,
``.pt``) with ``torch.load`` and ``weights_only=True``. Numpy arrays inside
a torch pickle are accepted only where a caller asks for them, through the
allow-list of :func:`vpt_mm.compat.checkpoint_globals.numpy_data_globals`.

API::

    file = load_weights_file('x.pth')      # container, content, metadata
    file = read_weights_file('x.npz')      # the same, content a dict
    state_dict = read_state_dict('x.pth', prefix='backbone.')
    checkpoint = load_run_checkpoint('work_dir/iter_10.pth')  # mmengine's
    use_for_local_checkpoints()  # --resume, load_from, test.py, init_cfg
"""
import os.path as osp
import pickle
import zipfile
from typing import (Any, Callable, Dict, Mapping, NamedTuple, Optional,
                    Sequence, Union)

import numpy as np
import torch

from vpt_mm.compat.checkpoint_globals import (mmengine_checkpoint_globals,
                                              numpy_data_globals)
from .strict import CheckpointMismatchError

#: The containers, in the order they are recognised.
CONTAINERS = ('npz', 'safetensors', 'torch')


class UnreadableWeightsError(ValueError):
    """A file cannot be read as weights without executing code from it.

    Attributes:
        filename (str): The file.
        container (str): The container it was read as.
        reason (str): Why it failed, one line.
        cause (Exception, optional): The reader's own error.
    """

    def __init__(self,
                 filename: str,
                 container: str,
                 message: str,
                 reason: str = '',
                 cause: Optional[Exception] = None) -> None:
        super().__init__(f'{filename}: {message}')
        self.filename = filename
        self.container = container
        self.reason = reason
        self.cause = cause


class UnsafeWeightsError(UnreadableWeightsError, pickle.UnpicklingError):
    """A file that asks for a global outside the allow-list: still the
    ``pickle.UnpicklingError`` that ``torch.load`` raises."""


class WeightsFile(NamedTuple):
    """What :func:`load_weights_file` read."""

    #: ``'npz'``, ``'safetensors'`` or ``'torch'``.
    container: str
    #: The arrays or tensors (for ``torch``: whatever the file holds).
    content: Any
    #: A safetensors header's metadata; empty for the other containers.
    metadata: Dict[str, str]


def _is_npz(filename: str) -> bool:
    if not zipfile.is_zipfile(filename):
        return False
    with zipfile.ZipFile(filename) as archive:
        names = archive.namelist()
    return bool(names) and all(name.endswith('.npy') for name in names)


def _is_safetensors(filename: str) -> bool:
    with open(filename, 'rb') as file:
        head = file.read(9)
    if len(head) < 9:
        return False
    header_size = int.from_bytes(head[:8], 'little')
    return head[8:9] == b'{' and 0 < header_size < osp.getsize(filename)


def container_of(filename: str) -> str:
    """The container of an existing file, from its content."""
    if _is_npz(filename):
        return 'npz'
    if _is_safetensors(filename):
        return 'safetensors'
    return 'torch'


def unsafe_reason(error: Exception) -> str:
    """One line of a reader's error: torch's "Unsupported global" line
    where there is one, else the first line."""
    lines = [line.strip() for line in str(error).splitlines()]
    for line in lines:
        if 'Unsupported global' in line:
            return line
    return next((line for line in lines if line), type(error).__name__)


def _load_npz(filename: str) -> WeightsFile:
    try:
        with np.load(filename, allow_pickle=False) as npz:
            return WeightsFile('npz', {key: npz[key]
                                       for key in npz.files}, {})
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        # e.g. an object array, which needs pickle
        reason = unsafe_reason(error)
        raise UnreadableWeightsError(
            filename, 'npz', 'cannot be read as a numpy archive with '
            f'allow_pickle=False: {reason}', reason, error) from None


def _load_safetensors(filename: str) -> WeightsFile:
    from safetensors import safe_open
    try:
        with safe_open(filename, framework='pt', device='cpu') as file:
            metadata = dict(file.metadata() or {})
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except Exception as error:  # SafetensorError is no ValueError
        reason = unsafe_reason(error)
        raise UnreadableWeightsError(
            filename, 'safetensors',
            f'cannot be read as safetensors: {reason}', reason,
            error) from None
    return WeightsFile('safetensors', tensors, metadata)


def _load_torch(filename: str, numpy_arrays: bool) -> WeightsFile:
    try:
        if numpy_arrays:
            with numpy_data_globals():
                content = torch.load(
                    filename, map_location='cpu', weights_only=True)
        else:
            content = torch.load(
                filename, map_location='cpu', weights_only=True)
    except Exception as error:  # pickle/zip errors have no common base
        reason = unsafe_reason(error)
        raise UnreadableWeightsError(
            filename, 'torch', 'cannot be read with '
            f'torch.load(weights_only=True): {reason}', reason,
            error) from None
    return WeightsFile('torch', content, {})


def _check_exists(filename: str) -> None:
    """A missing or zero-byte file, named in one line."""
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: no such file')
    if osp.getsize(filename) == 0:
        raise UnreadableWeightsError(
            filename, 'torch', 'is empty (0 bytes; an interrupted write?)',
            'empty file')


def load_weights_file(filename: str,
                      containers: Sequence[str] = CONTAINERS,
                      numpy_arrays: bool = False) -> WeightsFile:
    """Read a local weights file without executing code from it.

    Args:
        filename (str): Local path.
        containers (Sequence[str]): The containers accepted; a file of
            another one is read as the last of them (e.g. ``('torch',)``
            reads every file with ``torch.load``).
        numpy_arrays (bool): Accept plain numpy arrays in a torch pickle
            (e.g. official VPT prompt files); nothing else is allowed.

    Returns:
        WeightsFile: For ``torch``, the content is whatever the file holds.

    Raises:
        FileNotFoundError: If there is no such file.
        UnreadableWeightsError: If the file cannot be read this way.
    """
    _check_exists(filename)
    container = container_of(filename)
    if container not in containers:
        container = containers[-1]
    if container == 'npz':
        return _load_npz(filename)
    if container == 'safetensors':
        return _load_safetensors(filename)
    return _load_torch(filename, numpy_arrays)


def read_weights_file(filename: str,
                      containers: Sequence[str] = CONTAINERS,
                      numpy_arrays: bool = False) -> WeightsFile:
    """:func:`load_weights_file` of a file that holds a dict.

    Raises:
        FileNotFoundError: If there is no such file.
        UnreadableWeightsError: If the file cannot be read this way or
            does not hold a dict.
    """
    file = load_weights_file(filename, containers, numpy_arrays)
    if not isinstance(file.content, Mapping):
        raise UnreadableWeightsError(
            filename, file.container,
            f'holds a {type(file.content).__name__}, not a dict of weights')
    return file


def strip_prefix(weights: Mapping[str, Any], prefix: str) -> Dict[str, Any]:
    """The entries of ``weights`` under ``prefix``, without it."""
    return {
        key[len(prefix):]: value
        for key, value in weights.items() if key.startswith(prefix)
    }


def read_state_dict(filename: str,
                    prefix: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """Read the tensors of a checkpoint file: its ``state_dict`` if it has
    one (an mmengine checkpoint), else its top level.

    Args:
        filename (str): Local path (``~`` expanded).
        prefix (str, optional): Keep only keys under this prefix (e.g.
            ``'backbone.'``) and strip it.

    Returns:
        dict: Parameter name to tensor.

    Raises:
        FileNotFoundError: If there is no such file.
        UnreadableWeightsError: If the file cannot be read safely.
        CheckpointMismatchError: If no key starts with ``prefix``.
    """
    filename = osp.expanduser(filename)
    checkpoint = read_weights_file(filename).content
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not prefix:
        return dict(state_dict)
    if not prefix.endswith('.'):
        prefix += '.'
    state_dict = strip_prefix(state_dict, prefix)
    if not state_dict:
        raise CheckpointMismatchError(
            f'{filename}: no key starts with prefix "{prefix}"')
    return state_dict


def load_run_checkpoint(filename: str,
                        map_location: Union[str, Callable, None] = 'cpu'
                        ) -> Any:
    """Read a run's own checkpoint (mmengine's ``iter_N.pth``) with
    ``weights_only=True`` and mmengine's data-only globals
    (:func:`vpt_mm.compat.checkpoint_globals.mmengine_checkpoint_globals`).

    The one reader behind ``--resume``, ``load_from``, ``tools/test.py``,
    a ``Pretrained`` ``init_cfg`` and ``publish_model.py``: a missing,
    empty, truncated or code-carrying file is one line naming the file.

    Args:
        filename (str): Local path (``~`` expanded).
        map_location: As ``torch.load``'s.

    Returns:
        Whatever the file holds (mmengine's checkpoint dict).

    Raises:
        FileNotFoundError: If there is no such file.
        UnreadableWeightsError: If the file is empty or cannot be read
            safely (truncated, not a torch file, a disallowed global).
    """
    filename = osp.expanduser(filename)
    _check_exists(filename)
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except Exception as error:  # pickle/zip errors have no common base
        reason = _run_checkpoint_reason(error)
        kind = UnsafeWeightsError if isinstance(
            error, pickle.UnpicklingError) else UnreadableWeightsError
        raise kind(
            filename, 'torch', 'cannot be read with '
            f'torch.load(weights_only=True): {reason}', reason,
            error) from None


def _run_checkpoint_reason(error: Exception) -> str:
    """One line of why ``torch.load`` failed: the weights-only unpickler's
    own line (not torch's general advice around it), or a truncated
    file."""
    advice = ('Weights only load failed', 'Check the documentation',
              'Please file an issue')
    for line in str(error).splitlines():
        line = line.strip()
        if 'WeightsUnpickler error:' in line:
            line = line.split('WeightsUnpickler error:', 1)[1].strip()
        if line and not line.startswith(advice):
            if 'Unsupported global' in line or not isinstance(
                    error, (EOFError, RuntimeError)):
                return line
            break
    reason = unsafe_reason(error)
    if 'central directory' in reason or isinstance(error, EOFError):
        reason = f'truncated or not a torch checkpoint ({reason})'
    return reason


def use_for_local_checkpoints() -> bool:
    """Make :func:`load_run_checkpoint` mmengine's local-file loader (the
    ``''`` scheme of ``CheckpointLoader``), which ``--resume``,
    ``load_from``, ``Runner.load_checkpoint`` and a ``Pretrained``
    ``init_cfg`` read files with.

    Returns:
        bool: True if this call registered it.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    current = CheckpointLoader._schemes.get('')
    if getattr(current, 'vpt_mm_reader', False):
        return False

    def load_from_local(filename, map_location):
        return load_run_checkpoint(filename, map_location)

    # the compat patch (mmengine's globals) is part of this reader
    load_from_local.vpt_mm_patched = True
    load_from_local.vpt_mm_reader = True
    CheckpointLoader.register_scheme('', load_from_local, force=True)
    return True
