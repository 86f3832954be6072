from .delta_checkpoint_hook import DeltaCheckpointHook

__all__ = ['DeltaCheckpointHook']
