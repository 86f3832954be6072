from .metrics import ErrorRate

__all__ = ['ErrorRate']
