"""The machine and the library versions a benchmark ran on, for the
report."""
import contextlib
import os
import platform
from typing import Dict, Sequence

import torch


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.lower().startswith('model name'):
                    return line.split(':', 1)[1].strip()
    return platform.processor() or platform.machine()


def environment(devices: Sequence[str]) -> Dict[str, str]:
    """The machine and the library versions, for the report."""
    import mmcv
    import mmengine
    import mmpretrain
    env = {
        'CPU':
        f'{_cpu_name()} ({os.cpu_count()} logical cores, '
        f'{torch.get_num_threads()} torch threads)',
    }
    if any(torch.device(d).type == 'cuda' for d in devices):
        env['GPU'] = torch.cuda.get_device_name(0)
    env.update({
        'OS': platform.platform(),
        'Python': platform.python_version(),
        'torch': torch.__version__,
        'mmpretrain': mmpretrain.__version__,
        'mmengine': mmengine.__version__,
        'mmcv': mmcv.__version__,
    })
    return env
