from .mlp_head import MlpClsHead

__all__ = ['MlpClsHead']
