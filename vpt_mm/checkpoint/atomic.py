"""Writing a file so that a kill never leaves half of it (torch-free)."""
import contextlib
import os
import os.path as osp
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path next to ``path`` to write to; on success it
    replaces ``path`` in one step (``os.replace``), on an error it is
    removed and ``path`` is left as it was. The folder is created.

    Example::

        with atomic_path('out/epoch_1.pth') as tmp:
            torch.save(state, tmp)
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.tmp{os.getpid()}')
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
