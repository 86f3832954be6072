from .checkpoint import (CheckpointMismatchError, load_state_dict_strictly,
                         read_state_dict)
from .converters import ConversionError
from .pixel_prompt import PadPrompter, parse_pixel_prompt_cfg
from .prompt import PrefixPrompts, parse_prompt_cfg

__all__ = [
    'PrefixPrompts', 'parse_prompt_cfg', 'CheckpointMismatchError',
    'load_state_dict_strictly', 'read_state_dict', 'ConversionError',
    'PadPrompter', 'parse_pixel_prompt_cfg'
]
