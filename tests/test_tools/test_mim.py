"""OpenMMLab's mim on an installed vpt-mm, as a user runs it: a regular
install carries vpt_mm/.mim (configs, tools, model-index.yml); `mim list`
shows vpt-mm; `mim train vpt_mm CONFIG` and `mim test vpt_mm CONFIG
--checkpoint ...` find the smoke config by name and run the packaged
tools (a 2-iteration run)."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from vpt_mm.testing import write_toy_fgvc

pytest.importorskip('mim', reason='openmim is not installed (the [openmim] '
                    'extra, part of [all])')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'vpt-deep_vit-tiny_toy-fgvc.py'
SOURCES = ('setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml',
           'requirements', 'vpt_mm', 'configs', 'tools')


def run(command, cwd, env, timeout=300):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return output


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """vpt-mm installed (not editable) into a folder first on PYTHONPATH,
    built from a copy of the sources, and a toy FGVC set in the cwd."""
    root = tmp_path_factory.mktemp('mim')
    source, site = root / 'src', root / 'site'
    source.mkdir()
    for name in SOURCES:
        path = osp.join(ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc', '.mim'))
        else:
            shutil.copyfile(path, source / name)
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS='1')
    run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
         '--no-build-isolation', '--no-index', '--target', str(site),
         str(source)], cwd=str(root), env=env)
    cwd = root / 'run'
    write_toy_fgvc(str(cwd / 'data' / 'toy_fgvc'))
    mim = [sys.executable, '-c', 'from mim.cli import cli; cli()']
    return site, cwd, env, mim


def test_install_carries_the_mim_folder(installed):
    site = installed[0]
    mim_dir = site / 'vpt_mm' / '.mim'
    assert (mim_dir / 'tools' / 'train.py').is_file()
    assert (mim_dir / 'tools' / 'test.py').is_file()
    assert (mim_dir / 'configs' / 'smoke' / CONFIG).is_file()
    assert (mim_dir / 'model-index.yml').read_text() == open(
        osp.join(ROOT, 'model-index.yml')).read()


def test_mim_list_shows_vpt_mm(installed):
    _, cwd, env, mim = installed
    output = run(mim + ['list'], cwd=str(cwd), env=env)
    assert any(line.split()[:1] == ['vpt-mm']
               for line in output.splitlines()), output


def test_mim_train_and_test_the_smoke_config(installed):
    site, cwd, env, mim = installed
    # --auto-scale-lr goes through to tools/train.py and wins over a config
    # that switches scaling off: 16 images of a 256 base batch
    output = run(mim + [
        'train', 'vpt_mm', CONFIG, '--work-dir', 'work', '--auto-scale-lr',
        '--cfg-options', 'auto_scale_lr.enable=False',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ], cwd=str(cwd), env=env)
    assert osp.join('.mim', 'tools', 'train.py') in output
    assert 'Scaling the original LR by 0.0625' in output, output[-3000:]
    checkpoint = cwd / 'work' / 'iter_2.pth'
    assert checkpoint.is_file()
    output = run(mim + [
        'test', 'vpt_mm', CONFIG, '--checkpoint', str(checkpoint),
        '--work-dir', 'test'
    ], cwd=str(cwd), env=env)
    assert osp.join('.mim', 'tools', 'test.py') in output
    assert 'accuracy/top1' in output, output[-3000:]
