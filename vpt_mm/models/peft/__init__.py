from .adapter import Adapter, AdapterTuning
from .base import PEFTWrapper
from .bias import BiasTuning
from .lora import LoRAModel
from .partial import PartialTuning
from .side import AlexNetSide, SideTuning

__all__ = [
    'PEFTWrapper', 'BiasTuning', 'PartialTuning', 'Adapter', 'AdapterTuning',
    'AlexNetSide', 'SideTuning', 'LoRAModel'
]
