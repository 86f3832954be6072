from .frozen_backbone_constructor import (
    FrozenBackboneOptimWrapperConstructor, trainable_report)

__all__ = ['FrozenBackboneOptimWrapperConstructor', 'trainable_report']
