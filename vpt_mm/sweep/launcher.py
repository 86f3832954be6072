"""Starting runs: a run's command line, and the processes of up to
``jobs`` runs at a time, each in a slot of its own."""
import os
import os.path as osp
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

from .errors import SweepError
from .processes import die_with_parent, stop_process
from .spec import Run, TaskSpec
from .state import LOG_FILE, can_resume

FEATURE_CACHE = 'feature_cache'


def train_command(spec: TaskSpec,
                  run: Run,
                  tools_dir: str,
                  gpus: Optional[int] = None,
                  resume: bool = False,
                  python: Optional[str] = None) -> List[str]:
    """The command line of one run.

    Args:
        spec (TaskSpec): The run's task.
        run (Run): The run.
        tools_dir (str): Folder of ``train.py`` and ``dist_train.sh``.
        gpus (int, optional): Hand the run to
            ``bash dist_train.sh CONFIG GPUS`` (torchrun); default one
            ``python train.py`` process.
        resume (bool): Pass ``--resume`` (continue from the latest
            checkpoint in the run's work dir).
        python (str, optional): Interpreter for ``train.py``; default the
            current one.

    Returns:
        list[str]: The command; it sets ``feature_cache_dir`` to the
        task's ``feature_cache`` folder, so that every run of the task
        trains on the frozen part's cached features where that is exact
        (``cache_frozen_features=False`` in the run's options turns it
        off).
    """
    if gpus:
        command = ['bash', osp.join(tools_dir, 'dist_train.sh'), spec.config,
                   str(int(gpus))]
    else:
        command = [python or sys.executable,
                   osp.join(tools_dir, 'train.py'), spec.config]
    command += ['--work-dir', run.work_dir]
    if resume:
        command.append('--resume')
    # frozen features are cached for the task's runs where that is exact
    # (vpt_mm.engine.hooks.feature_cache_hook; the run's own options win)
    cache = []
    if not any(opt.startswith('feature_cache_dir=')
               for opt in run.cfg_options):
        cache = ['feature_cache_dir=' + osp.join(spec.work_dir, FEATURE_CACHE)]
    return command + ['--cfg-options', *run.cfg_options, *cache]


def child_env(env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment of a run's process: this one's, ``PYTHON`` (the
    interpreter ``dist_train.sh`` starts torchrun with) unless set, and
    ``env`` (a slot's additions)."""
    full_env = dict(os.environ)
    full_env.setdefault('PYTHON', sys.executable)
    full_env.update(env or {})
    return full_env


def command_line(command: List[str],
                 env: Optional[Mapping[str, str]] = None,
                 note: str = '') -> str:
    """The line a run's ``sweep.log`` starts with: ``$``, the slot's
    variables, the command and, if given, ``# note``."""
    settings = ''.join(f'{key}={value} '
                       for key, value in sorted((env or {}).items()))
    return f'$ {settings}{shlex.join(command)}' + (
        f'  # {note}' if note else '') + '\n'


def cuda_devices() -> List[str]:
    """The CUDA devices runs may use: ``CUDA_VISIBLE_DEVICES`` when set,
    else every device torch sees (none on a CPU machine)."""
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    if visible is not None:
        return [device for device in visible.split(',') if device.strip()]
    import torch  # only here: the sweep itself needs no torch
    return [str(index) for index in range(torch.cuda.device_count())]


@dataclass
class Launcher:
    """Starts runs as processes and records their output.

    With ``jobs > 1`` up to that many runs of a phase train at once, each
    in a *slot* with its own environment (see :meth:`slot_env`): its share
    of the CPU threads, its own GPU(s) and, for ``dist_train.sh``, its own
    rendezvous port.

    Attributes:
        tools_dir (str): Folder of ``train.py`` and ``dist_train.sh``.
        gpus (int, optional): GPUs per run through ``dist_train.sh``.
        resume (bool): Continue a killed run from its latest checkpoint.
        verbose (bool): Echo the runs' output (always written to
            ``<run dir>/sweep.log``).
        jobs (int): Runs at a time.
        devices (list[str], optional): The CUDA devices the slots share
            (see :func:`cuda_devices`); none: runs see the machine's own.
    """

    tools_dir: str
    gpus: Optional[int] = None
    resume: bool = True
    verbose: bool = False
    jobs: int = 1
    devices: Optional[List[str]] = None

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise SweepError(f'jobs must be at least 1, not {self.jobs}')
        if self.gpus and self.devices and (self.jobs * self.gpus >
                                           len(self.devices)):
            raise SweepError(
                f'{self.jobs} jobs x {self.gpus} GPU(s) need '
                f'{self.jobs * self.gpus} GPUs; {len(self.devices)} '
                f'visible ({",".join(self.devices)})')
        self._processes = set()
        self._lock = threading.Lock()

    def command(self, spec: TaskSpec, run: Run) -> List[str]:
        return train_command(spec, run, self.tools_dir, self.gpus,
                             self.resume and can_resume(run))

    def slot_env(self, slot: int) -> Dict[str, str]:
        """What the environment of a run in ``slot`` (0 .. jobs - 1)
        changes: nothing for one job at a time; else ``OMP_NUM_THREADS``
        (the CPU cores divided among the jobs, unless already set),
        ``CUDA_VISIBLE_DEVICES`` (``gpus`` devices of its own, or one
        device, shared round robin, for single-process runs) and, with
        ``gpus``, ``PORT`` (``PORT`` or 29500, plus the slot)."""
        if self.jobs == 1:
            return {}
        env = {}
        if 'OMP_NUM_THREADS' not in os.environ:
            threads = max(1, (os.cpu_count() or 1) // self.jobs)
            env['OMP_NUM_THREADS'] = str(threads)
        if self.devices:
            if self.gpus:
                chosen = self.devices[slot * self.gpus:(slot + 1) *
                                      self.gpus]
            else:
                chosen = [self.devices[slot % len(self.devices)]]
            env['CUDA_VISIBLE_DEVICES'] = ','.join(chosen)
        if self.gpus:
            env['PORT'] = str(int(os.environ.get('PORT', 29500)) + slot)
        return env

    def __call__(self, command: List[str], run: Run,
                 env: Optional[Mapping[str, str]] = None) -> int:
        """Run ``command`` (with ``env`` added to the environment) and
        return its exit status."""
        with open(osp.join(run.work_dir, LOG_FILE), 'a') as log:
            log.write(command_line(command, env))
            log.flush()
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, env=child_env(env), preexec_fn=die_with_parent())
            with self._lock:
                self._processes.add(process)
            try:
                for line in process.stdout:
                    log.write(line)
                    if self.verbose:
                        sys.stdout.write(line)
                        sys.stdout.flush()
                return process.wait()
            except BaseException:
                stop_process(process)
                raise
            finally:
                with self._lock:
                    self._processes.discard(process)

    def terminate_all(self) -> None:
        """Stop every run still going (an interrupted parallel sweep):
        SIGTERM, then SIGKILL for any still alive after the grace
        period."""
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            stop_process(process)
