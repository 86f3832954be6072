from .. import compat

compat.apply()

from .metrics import ErrorRate  # noqa: E402

__all__ = ['ErrorRate']
