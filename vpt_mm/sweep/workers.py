"""Runs in resident ``tools/train.py --serve-runs`` processes.

A fresh ``tools/train.py`` per run starts the interpreter and imports
torch and the OpenMMLab libraries each time: several seconds a run, most
of a run that trains on cached frozen features. :class:`ResidentWorkers`
is an ``execute`` for :func:`~.runner.run_sweep` that hands single-process
runs to long-lived workers instead (one per slot, started on first use,
each with its slot's environment) and every other command (``--gpus``:
``dist_train.sh``) to the :class:`~.launcher.Launcher`. A run's output is
appended to its ``sweep.log`` as before; a worker whose run failed ends
and the next run gets a fresh one; workers die with the sweep, and
:meth:`ResidentWorkers.terminate_all` (or leaving the ``with`` block)
stops them. The worker's side is :mod:`vpt_mm.apis.run_worker`.
"""
import json
import os.path as osp
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Mapping, Optional, Tuple

from .launcher import Launcher, child_env, command_line
from .processes import die_with_parent, stop_process
from .spec import Run
from .state import LOG_FILE

# vpt_mm.apis.run_worker's flag and answer mark (not imported: the sweep
# imports no torch)
SERVE_FLAG = '--serve-runs'
REPLY_MARK = 'RUN_STATUS '

_Key = Tuple[Tuple[str, str], ...]


class ResidentWorkers:
    """Hands runs to resident training processes; see the module.

    Args:
        launcher (Launcher): Its ``tools_dir`` and ``verbose``, and the
            runs it starts itself (``gpus``).
    """

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher
        self.train_py = osp.join(launcher.tools_dir, 'train.py')
        self._idle: Dict[_Key, List[subprocess.Popen]] = {}
        self._all: List[subprocess.Popen] = []
        self._lock = threading.Lock()
        # workers die with the thread that started them (PR_SET_PDEATHSIG
        # follows the thread): one thread, alive as long as this object,
        # starts them all, not the sweep's short-lived job threads
        self._spawner = ThreadPoolExecutor(1, 'sweep-worker-spawner')

    def accepts(self, command: List[str]) -> bool:
        """Whether ``command`` is ``python tools/train.py ...`` (one
        process), which a worker can run."""
        return (not self.launcher.gpus and len(command) > 2
                and command[1] == self.train_py)

    def _start(self, env: Mapping[str, str],
               log_path: str) -> subprocess.Popen:
        """A new worker; what it writes before serving (warnings of its
        imports) goes to ``log_path``, the first run's log."""
        with open(log_path, 'a') as log:
            worker = self._spawner.submit(
                subprocess.Popen, [sys.executable, self.train_py, SERVE_FLAG],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                text=True, env=child_env(env),
                preexec_fn=die_with_parent()).result()
        with self._lock:
            self._all.append(worker)
        return worker

    def _take(self, key: _Key, env: Mapping[str, str],
              log_path: str) -> subprocess.Popen:
        """An idle live worker with this environment, or a new one (one
        that has ended, stopped from outside, is dropped)."""
        with self._lock:
            idle = self._idle.setdefault(key, [])
            while idle:
                worker = idle.pop()
                if worker.poll() is None:
                    return worker
                self._all.remove(worker)
        return self._start(env, log_path)

    def _drop(self, worker: subprocess.Popen) -> None:
        stop_process(worker)
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def __call__(self, command: List[str], run: Run,
                 env: Optional[Mapping[str, str]] = None) -> int:
        """Run ``command`` in a worker (or by the launcher, for commands
        a worker cannot run); its exit status."""
        if not self.accepts(command):
            return self.launcher(command, run, env)
        env = dict(env or {})
        key = tuple(sorted(env.items()))
        log_path = osp.join(run.work_dir, LOG_FILE)
        with open(log_path, 'a') as log:
            log.write(command_line(command, env, 'in a resident worker'))
            start = log.tell()
        worker = self._take(key, env, log_path)
        try:
            worker.stdin.write(
                json.dumps(dict(argv=command[2:], log=log_path)) + '\n')
            worker.stdin.flush()
            reply = self._reply(worker, log_path)
        except BrokenPipeError:
            reply = ''
        except BaseException:  # interrupted: the run stops with the sweep
            self._drop(worker)
            raise
        if self.launcher.verbose:
            with open(log_path, errors='replace') as log:
                log.seek(start)
                sys.stdout.write(log.read())
                sys.stdout.flush()
        if not reply:  # the worker died during the run
            status = worker.wait()
            self._drop(worker)
            return status or 1
        status = int(json.loads(reply[len(REPLY_MARK):])['status'])
        if status != 0:  # it ends after a failure
            self._drop(worker)
            return status
        with self._lock:
            self._idle.setdefault(key, []).append(worker)
        return 0

    @staticmethod
    def _reply(worker: subprocess.Popen, log_path: str) -> str:
        """The worker's answer line ('' if it ended first); other lines on
        its stdout (printed before it served) go to the run's log."""
        for line in worker.stdout:
            if line.startswith(REPLY_MARK):
                return line
            with open(log_path, 'a') as log:
                log.write(line)
        return ''

    def terminate_all(self) -> None:
        """Stop every worker (an interrupted sweep); the next run starts a
        fresh one."""
        with self._lock:
            workers, self._all = list(self._all), []
            self._idle.clear()
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            stop_process(worker)

    def close(self) -> None:
        """End the idle workers (their requests end) and stop the rest."""
        with self._lock:
            idle = [w for ws in self._idle.values() for w in ws]
        for worker in idle:
            try:
                worker.stdin.close()
                worker.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.terminate_all()
        self._spawner.shutdown(wait=True)

    def __enter__(self) -> 'ResidentWorkers':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
