from .adapter import Adapter, AdapterTuning
from .base import PEFTWrapper
from .bias import BiasTuning
from .delta import (apply_delta, delta_keys, delta_state_dict, load_delta,
                    read_delta, save_delta)
from .partial import PartialTuning
from .side import AlexNetSide, SideTuning

__all__ = [
    'PEFTWrapper', 'BiasTuning', 'PartialTuning', 'Adapter', 'AdapterTuning',
    'AlexNetSide', 'SideTuning', 'delta_keys', 'delta_state_dict',
    'save_delta', 'read_delta', 'apply_delta', 'load_delta'
]
