from .checkpoint import (CheckpointMismatchError, load_state_dict_strictly,
                         read_state_dict)
from .converters import ConversionError

__all__ = [
    'CheckpointMismatchError', 'load_state_dict_strictly', 'read_state_dict',
    'ConversionError'
]
