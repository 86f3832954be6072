"""A resident training process: many runs, one interpreter.

The sweep's runs of one task differ only in their ``--cfg-options`` and
work dir. Each as a fresh ``tools/train.py`` process pays for starting the
interpreter and importing torch and the OpenMMLab libraries again (several
seconds a run), which, once the frozen-feature cache has taken the frozen
forward away, is most of a run. ``tools/train.py --serve-runs`` instead
reads one request per line on stdin, ``{"argv": [...], "log": PATH}``,
trains it with the tool's own ``main(argv)``, its output (fds 1 and 2)
appended to ``PATH``, and answers ``RUN_STATUS {"status": N}`` on its
own stdout: 0, or the exit status the run's process would have had.

Between runs it forgets what mmengine keeps per process and names by the
experiment (loggers with their open files, message hubs, visualizers,
default scopes: two runs of one config started within a second share a
name), so a run cannot write into another's log or scalars or read
another's state; after a failed run it ends, and the next run gets a
fresh process.
:mod:`vpt_mm.sweep.workers` is the other end.
"""
import gc
import json
import os
import sys
import traceback
from typing import Callable, List, Optional, TextIO

#: the flag of ``tools/train.py`` that makes it a resident worker
SERVE_FLAG = '--serve-runs'
#: what starts an answer line (other lines on stdout are not answers)
REPLY_MARK = 'RUN_STATUS '


def _exit_status(code: object) -> int:
    """The status a process exiting with ``SystemExit(code)`` reports."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # as the interpreter does
    return 1


def run_once(train: Callable[[List[str]], None], argv: List[str]) -> int:
    """``train(argv)``, with ``sys.argv`` as a process of it would have;
    the exit status such a process would report (a traceback goes to
    stderr, as there)."""
    saved = list(sys.argv)
    sys.argv[1:] = argv
    try:
        train(argv)
        return 0
    except SystemExit as error:
        return _exit_status(error.code)
    except Exception:  # a failed run, reported like the interpreter does
        traceback.print_exc()
        return 1
    finally:
        sys.argv[:] = saved


def _managed_classes(root: type) -> List[type]:
    """``root`` and every subclass of it (each keeps its own instances)."""
    classes, stack = [], [root]
    while stack:
        cls = stack.pop()
        classes.append(cls)
        stack.extend(cls.__subclasses__())
    return classes


def forget_run_state() -> None:
    """Drop what mmengine keeps per experiment in this process: every
    instance of every ``ManagerMixin`` class (loggers, their file handlers
    closed; message hubs; visualizers, mmseg's and mmpretrain's included;
    default scopes), which a next run of the same config started within
    the same second would otherwise be handed back (the instances are
    named by config and time); then free memory."""
    from mmengine.logging import MMLogger
    from mmengine.utils import ManagerMixin
    for logger in list(MMLogger._instance_dict.values()):
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)
    for cls in _managed_classes(ManagerMixin):
        if '_instance_dict' in vars(cls):
            cls._instance_dict.clear()
    gc.collect()
    import torch
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def serve_runs(train: Callable[[List[str]], None],
               requests: Optional[TextIO] = None) -> int:
    """Train the runs requested on ``requests`` (default stdin) in turn;
    see the module docstring. Returns the exit status of this process: 0
    when the requests end, else the failed run's."""
    requests = requests or sys.stdin
    sys.stdout.flush()
    # answers go to the original stdout; the runs' output to their logs
    replies = os.fdopen(os.dup(1), 'w', buffering=1)
    saved = os.dup(1), os.dup(2)
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        streams = sys.stdout, sys.stderr
        with open(request['log'], 'a', buffering=1) as log:
            # Python's writes and the fds (C libraries, child processes)
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout = sys.stderr = log
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                status = run_once(train, list(request['argv']))
            finally:
                log.flush()
                sys.stdout, sys.stderr = streams
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
        forget_run_state()
        replies.write(REPLY_MARK + json.dumps(dict(status=status)) + '\n')
        if status != 0:  # what failed may have left state: a fresh process
            return status
    return 0
