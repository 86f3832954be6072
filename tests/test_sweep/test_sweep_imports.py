"""vpt_mm.sweep and each of its modules import neither torch nor a host."""
import pkgutil
import subprocess
import sys

import pytest

import vpt_mm.sweep

HEAVY = ('torch', 'mmpretrain', 'mmseg')
MODULES = ['vpt_mm.sweep'] + sorted(
    f'vpt_mm.sweep.{info.name}'
    for info in pkgutil.iter_modules(vpt_mm.sweep.__path__))


def test_every_module_is_listed():
    assert {'vpt_mm.sweep.plan', 'vpt_mm.sweep.launcher',
            'vpt_mm.sweep.report'} <= set(MODULES)


@pytest.mark.parametrize('module', MODULES + ['vpt_mm.tasks'])
def test_import_is_light(module):
    # a fresh interpreter: the other tests have imported torch here
    code = (f'import sys, {module}; '
            f'print([name for name in {HEAVY!r} if name in sys.modules])')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]', f'{module} imports {out.strip()}'
