from .fgvc import FGVC_SETS, FGVCDataset

__all__ = ['FGVCDataset', 'FGVC_SETS']
