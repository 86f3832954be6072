"""The sweep's child processes end with it: children die with their
parent where the OS allows (Linux: ``PR_SET_PDEATHSIG``, so even a
``kill -9`` of the sweep stops them), SIGTERM (what Slurm and ``timeout``
send) stops the sweep and its runs like Ctrl-C, and a run that ignores
SIGTERM is killed after a grace period."""
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from typing import Callable, Iterator, Optional

PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 30.


class SweepInterrupted(BaseException):
    """The sweep got SIGTERM (or SIGHUP); its runs were stopped.

    Attributes:
        signum (int): The signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def die_with_parent() -> Optional[Callable[[], None]]:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that has the child
    get SIGTERM when its parent ends; ``None`` where the OS cannot."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent ended before the prctl
            os._exit(1)

    return preexec


def stop_process(process: subprocess.Popen,
                 grace: float = GRACE_SECONDS) -> None:
    """SIGTERM ``process``, and SIGKILL it if it has not ended after
    ``grace`` seconds; reap it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _raise_interrupted(signum: int, frame) -> None:
    raise SweepInterrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`SweepInterrupted`
    in the main thread, which stops the runs going on (as Ctrl-C does)
    instead of leaving them training without their sweep; the previous
    handlers come back after it."""
    signums = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(
        signal, 'SIGHUP') else [])
    previous = {signum: signal.signal(signum, _raise_interrupted)
                for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
