"""vpt-mm: Visual Prompt Tuning for OpenMMLab (mmpretrain, mmsegmentation).

``import vpt_mm`` is light: it loads neither torch nor a host, so the
torch-free rooms (:mod:`vpt_mm.sweep`, :mod:`vpt_mm.compat`) import fast.
Importing :mod:`vpt_mm.modules` (a config's ``custom_imports =
dict(imports=['vpt_mm.modules'])``, or :func:`register_all_modules`)
applies the CPU compatibility patches, then registers every module in the
hosts' registries.
"""
import importlib

from .version import __version__

__all__ = ['__version__', 'register_all_modules']


def register_all_modules() -> None:
    """Register every vpt_mm module in mmpretrain's and mmseg's
    registries (what ``custom_imports=['vpt_mm.modules']`` does)."""
    importlib.import_module('vpt_mm.modules')
