from .frozen_backbone_constructor import (
    FrozenBackboneOptimWrapperConstructor, parameter_counts, trainable_report)
from .segmentor_layer_decay import SegmentorLayerDecayOptimWrapperConstructor

__all__ = [
    'FrozenBackboneOptimWrapperConstructor',
    'SegmentorLayerDecayOptimWrapperConstructor', 'parameter_counts',
    'trainable_report'
]
