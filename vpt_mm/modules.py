"""Importing this module registers every vpt_mm module in the hosts'
registries, after the CPU compatibility patches: a config says
``custom_imports = dict(imports=['vpt_mm.modules'],
allow_failed_imports=False)``.
"""
from . import compat

compat.apply()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
