"""A restricted unpickler for CIFAR's python pickles: data, never code.

CIFAR-10/100's ``cifar-*-python/{train,test,meta}`` files are pickled
dicts of ``bytes``/``str`` keys, lists, ints, strings and one ``uint8``
numpy array. :func:`load_data_pickle` admits exactly the globals such a
file needs (numpy's array reconstructors, ``ndarray``, ``dtype`` and, for
pickles written by Python 3 with protocol 2, ``_codecs.encode`` of a
string) and refuses every other one, naming the file and the global,
before anything from the file runs.

API::

    entry = load_data_pickle('cifar-100-python/train')
"""
import codecs
import pickle
from typing import Any

import numpy as np


def _core():
    return getattr(np, '_core', None) or np.core  # numpy 2.x or 1.x


def _encode(text: str, encoding: str = 'utf-8') -> bytes:
    """``_codecs.encode`` for a protocol-2 pickle's ``bytes``: text only."""
    if not isinstance(text, str) or not isinstance(encoding, str):
        raise pickle.UnpicklingError(
            '_codecs.encode is allowed on a string only')
    return codecs.encode(text, encoding)


#: ``(module, name)`` -> the object a pickle may ask for; nothing else.
ALLOWED_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'): _core().multiarray._reconstruct,
    ('numpy._core.multiarray', '_reconstruct'):
    _core().multiarray._reconstruct,
    # protocol 5 arrays
    ('numpy.core.numeric', '_frombuffer'): _core().numeric._frombuffer,
    ('numpy._core.numeric', '_frombuffer'): _core().numeric._frombuffer,
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): np.dtype,
    ('_codecs', 'encode'): _encode,
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asks for something other than data."""


class _DataUnpickler(pickle.Unpickler):

    def __init__(self, file, filename: str, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.filename = filename

    def find_class(self, module: str, name: str) -> Any:
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f'{self.filename}: refused global {module}.{name} (a data '
                'pickle holds containers and numpy arrays only; nothing '
                'from this file was run)')
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(
            f'{self.filename}: refused persistent id {pid!r}')


def load_data_pickle(filename: str, encoding: str = 'latin1') -> Any:
    """Unpickle ``filename`` admitting only containers and numpy arrays.

    Args:
        filename (str): Local path.
        encoding (str): How Python 2 strings are decoded (``'latin1'``
            reads the numpy arrays of Python 2 pickles).

    Returns:
        The unpickled data.

    Raises:
        UnsafePickleError: If the file asks for any other global, naming
            the file and the global.
        Other unpickling errors (``EOFError``, ``UnpicklingError``, ...)
            of a malformed file are left to the caller.
    """
    with open(filename, 'rb') as file:
        return _DataUnpickler(file, filename, encoding=encoding).load()
