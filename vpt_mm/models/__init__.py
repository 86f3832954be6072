from .. import compat

compat.apply()

from .backbones import *  # noqa: E402,F401,F403
from .heads import *  # noqa: E402,F401,F403
from .peft import *  # noqa: E402,F401,F403
from .ensemble import PromptEnsemble, build_prompt_ensemble  # noqa: E402,F401
from .host_delta import install_host_delta_loading  # noqa: E402
from ..checkpoint.io import use_for_local_checkpoints  # noqa: E402

install_host_delta_loading()
use_for_local_checkpoints()
