"""One writer per run folder: an advisory lock that its holder keeps for
its lifetime and that the OS drops when the holder dies (even by
``kill -9``), so a stale lock never blocks a rerun.

``tools/train.py`` holds its work dir's lock (rank 0 of a distributed
run), and ``tools/sweep.py`` its task dirs' and checks a run dir before it
starts a run in it: a second process on the same folder is refused with a
message naming the holder's pid and command. Where the OS has no
``fcntl`` (Windows), there is no lock.
"""
import os
import os.path as osp
import sys
from typing import Optional, Tuple

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

LOCK_FILE = '.vpt_mm.lock'


class RunDirLocked(RuntimeError):
    """Another process holds the folder's lock."""


def _describe(text: str) -> Tuple[Optional[int], str]:
    pid, _, command = text.strip().partition(' ')
    return (int(pid) if pid.isdigit() else None), command


class RunDirLock:
    """The lock of ``folder`` (``<folder>/.vpt_mm.lock``).

    Args:
        folder (str): The run (or task) folder; made if missing.
        what (str): What the holder does there, for the message.
    """

    def __init__(self, folder: str, what: str = 'a run') -> None:
        self.folder = folder
        self.what = what
        self.path = osp.join(folder, LOCK_FILE)
        self._fd: Optional[int] = None

    def acquire(self) -> 'RunDirLock':
        """Take the lock; :class:`RunDirLocked` if another process has it.

        Raises:
            RunDirLocked: With the holder's pid and command.
            OSError: The folder cannot be made or written.
        """
        if fcntl is None or self._fd is not None:
            return self
        os.makedirs(self.folder, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode(errors='replace')
            os.close(fd)
            pid, command = _describe(holder)
            who = f'process {pid}' if pid else 'another process'
            raise RunDirLocked(
                f'{self.folder} is in use by {who}'
                + (f' ({command})' if command else '') +
                f'; a second writer is refused: wait for it to end or stop '
                f'it{f" (kill {pid})" if pid else ""}, then run again'
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()} {self.what}: '
                 f'{" ".join(sys.argv)}\n'.encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock up (the process's end does so too)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> 'RunDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def check_unlocked(folder: str) -> None:
    """Raise :class:`RunDirLocked` if a process holds ``folder``'s lock;
    take nothing (a folder that does not exist is free)."""
    if fcntl is None or not osp.isfile(osp.join(folder, LOCK_FILE)):
        return
    RunDirLock(folder).acquire().release()


def hold_work_dir(work_dir: str, what: str = 'training') -> RunDirLock:
    """The lock of a training run's work dir, taken by one process of the
    run: rank 0 (``RANK``, or ``SLURM_PROCID`` under Slurm) only."""
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0'))
    lock = RunDirLock(work_dir, what)
    return lock.acquire() if rank == '0' else lock
