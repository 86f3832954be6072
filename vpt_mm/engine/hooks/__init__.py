from .atomic_checkpoint_hook import AtomicCheckpointHook
from .delta_checkpoint_hook import DeltaCheckpointHook

__all__ = ['AtomicCheckpointHook', 'DeltaCheckpointHook']
