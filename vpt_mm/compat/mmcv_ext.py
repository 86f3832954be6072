"""Patch 2: a placeholder for ``mmcv._ext`` under mmcv-lite.

``mmcv-lite`` has no compiled ``mmcv._ext``; ``mmseg.models`` imports
``mmcv.ops`` unconditionally. :func:`install_mmcv_ext_placeholder` puts a
placeholder module (with a real ``__spec__``) in its place whose operators
raise a clear error if ever called. No model of this project calls one.
"""
import importlib.machinery
import importlib.util
import sys
import types
from typing import Callable


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


