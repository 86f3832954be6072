"""Turning the original dataset archives into the on-disk layouts the
datasets read: FGVC's ``{train,val,test}.json`` from each set's own
archive (:mod:`.fgvc`, :mod:`.fgvc_readers`) and VTAB-1k's task folders
(:mod:`.vtab`), each split's size checked against the paper's Tab. 7
(:mod:`vpt_mm.tasks`). No torch: scipy (``.mat`` files) and
tensorflow_datasets (VTAB-1k from TFDS) are imported when used.
"""
from .fgvc import FGVC_READERS, Prepared, prepare_fgvc, sample_val

__all__ = ['FGVC_READERS', 'Prepared', 'prepare_fgvc', 'sample_val']
