from .atomic_checkpoint_hook import AtomicCheckpointHook
from .delta_checkpoint_hook import DeltaCheckpointHook
from .frozen_feature_cache_hook import (FrozenFeatureCacheHook,
                                        feature_cache_hook)

__all__ = [
    'AtomicCheckpointHook', 'DeltaCheckpointHook', 'FrozenFeatureCacheHook',
    'feature_cache_hook'
]
