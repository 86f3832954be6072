from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .peft import *  # noqa: F401,F403
from .ensemble import PromptEnsemble, build_prompt_ensemble  # noqa: F401
