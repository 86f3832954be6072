"""The hosts' own command-line tools (mmpretrain's ``browse_dataset.py``,
``verify_dataset.py``, ...) run on vpt-mm configs.

A host's script imports the host at its top, before ``Config.fromfile``
runs the config's ``custom_imports``; on a CPU-only install that import
fails (``operator torchvision::nms does not exist``) because vpt-mm's CPU
patches are not in place yet. :func:`run_host_tool` applies them first
(importing this room does), reads configs as vpt-mm's tools read them (the
top-level task variables and training length carried into the dicts,
:func:`vpt_mm.resolve.resolve_config`) and runs the script the host
installs under its ``.mim/tools/`` folder as ``__main__``.
"""
import contextlib
import glob
import importlib.util
import os.path as osp
import runpy
import sys
from typing import Iterator, List, Sequence

from ..resolve import resolve_config

# host name (as users write it) -> its top-level module
HOSTS = {'mmpretrain': 'mmpretrain', 'mmseg': 'mmseg',
         'mmsegmentation': 'mmseg'}


def host_tools_root(host: str) -> str:
    """The ``.mim/tools`` folder of an installed host."""
    if host not in HOSTS:
        raise ValueError(f'host: {host!r} is not one of {sorted(HOSTS)}')
    spec = importlib.util.find_spec(HOSTS[host])
    if spec is None or spec.origin is None:
        raise ValueError(f'host: {host} is not installed')
    return osp.join(osp.dirname(spec.origin), '.mim', 'tools')


def find_host_tool(host: str, name: str) -> str:
    """The path of the host's tool ``name`` (``browse_dataset``,
    ``misc/verify_dataset.py``, ...: a file name, with or without ``.py``,
    or a path under the host's tools folder)."""
    root = host_tools_root(host)
    name = name if name.endswith('.py') else f'{name}.py'
    matches = sorted(
        path for path in glob.glob(osp.join(root, '**', '*.py'),
                                   recursive=True)
        if osp.relpath(path, root) == name or
        ('/' not in name and osp.basename(path) == name))
    if not matches:
        raise ValueError(f'tool: {host} has no tool {name} under {root}')
    if len(matches) > 1:
        found = [osp.relpath(path, root) for path in matches]
        raise ValueError(f'tool: {name} is ambiguous in {host}: {found}; '
                         'give its path under the tools folder')
    return matches[0]


@contextlib.contextmanager
def resolved_config_files() -> Iterator[None]:
    """While active, ``mmengine.config.Config.fromfile`` returns configs
    with their task variables and training length resolved."""
    from mmengine.config import Config
    original = Config.__dict__['fromfile']

    def fromfile(*args, **kwargs):
        cfg = original.__func__(*args, **kwargs)
        resolve_config(cfg)
        return cfg

    Config.fromfile = staticmethod(fromfile)
    try:
        yield
    finally:
        Config.fromfile = original


def run_host_tool(host: str, name: str, argv: Sequence[str]) -> None:
    """Run the host's tool ``name`` with the arguments ``argv`` (its
    config first, as on its own command line) in this process."""
    path = find_host_tool(host, name)
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path] + list(argv)
    sys.path.insert(0, osp.dirname(path))
    try:
        with resolved_config_files():
            runpy.run_path(path, run_name='__main__')
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


def list_host_tools(host: str) -> List[str]:
    """The host's tools, as paths under its tools folder."""
    root = host_tools_root(host)
    return sorted(
        osp.relpath(path, root)
        for path in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if not osp.basename(path).startswith('__'))
