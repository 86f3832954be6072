"""vpt-mm: Visual Prompt Tuning for OpenMMLab (mmpretrain, mmsegmentation).

Importing the package (e.g. through ``custom_imports``) applies the CPU
compatibility shims first, then registers every module in the hosts'
registries.
"""
from .utils import compat

compat.apply()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
