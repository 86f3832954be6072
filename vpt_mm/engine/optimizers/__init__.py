from .frozen_backbone_constructor import (
    FrozenBackboneOptimWrapperConstructor, parameter_counts, trainable_report)

__all__ = [
    'FrozenBackboneOptimWrapperConstructor', 'parameter_counts',
    'trainable_report'
]
