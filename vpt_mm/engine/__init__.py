from .. import compat

compat.apply()

from .hooks import *  # noqa: E402,F401,F403
from .optimizers import *  # noqa: E402,F401,F403
