from .. import compat

compat.apply()

from .hooks import *  # noqa: E402,F401,F403
from .optimizers import *  # noqa: E402,F401,F403
from .loops import (  # noqa: E402,F401
    ResumableEpochBasedTrainLoop, ResumableIterBasedTrainLoop)
from .runner import ResumableRunner, ResumeError  # noqa: E402,F401
