from .pixel_prompt import PadPrompter, parse_pixel_prompt_cfg
from .prompt import PrefixPrompts, parse_prompt_cfg

__all__ = [
    'PrefixPrompts', 'parse_prompt_cfg', 'PadPrompter',
    'parse_pixel_prompt_cfg'
]
