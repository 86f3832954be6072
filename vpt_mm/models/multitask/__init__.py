"""Mixed-task inference: one frozen backbone, N task deltas, one batch."""
from .model import MultiTaskClassifier, task_config
from .task import RULE, ServedTask, UnsupportedTaskError

__all__ = [
    'MultiTaskClassifier', 'ServedTask', 'UnsupportedTaskError', 'RULE',
    'task_config'
]
