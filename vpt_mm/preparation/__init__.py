"""Turning the original dataset archives into the on-disk layouts the
datasets read: FGVC's ``{train,val,test}.json`` from each set's own
archive (:mod:`.fgvc`, :mod:`.fgvc_readers`) and VTAB-1k's task folders
from the shared image-folder release or TFDS (:mod:`.vtab`,
:mod:`.vtab_tfds`), each split's size checked against the paper's Tab. 7
(:mod:`vpt_mm.tasks`). No torch: scipy (``.mat`` files), OpenCV (image
writing) and tensorflow_datasets are imported when used.
"""
from .fgvc import (FGVC_READERS, Prepared, class_count_difference,
                   prepare_fgvc, sample_val)
from .vtab import (TaskReport, check_task, normalise_release, task_folder,
                   write_task)
from .vtab_tfds import TFDS_TASKS, prepare_vtab_tfds, vtab_label

__all__ = [
    'FGVC_READERS', 'Prepared', 'class_count_difference', 'prepare_fgvc',
    'sample_val', 'TaskReport', 'check_task', 'normalise_release',
    'task_folder', 'write_task', 'TFDS_TASKS', 'prepare_vtab_tfds',
    'vtab_label'
]
