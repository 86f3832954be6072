"""Install vpt-mm: ``pip install -e .`` (add ``[tests]`` for the suite)."""
import os
import os.path as osp
import re
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
# what OpenMMLab's mim finds in an installed package's .mim folder
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(name: str) -> list:
    """Requirement lines of ``requirements/<name>.txt``, without comments."""
    lines = []
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as file:
        for line in file:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-r'):
                lines.append(line)
    return lines


def read_version() -> str:
    with open(osp.join(HERE, 'vpt_mm', 'version.py')) as file:
        return re.search(r"__version__ = '([^']+)'", file.read()).group(1)


class BuildPyWithMim(build_py):
    """``build_py`` that also copies configs/, tools/ and model-index.yml
    into the built package as ``vpt_mm/.mim/`` (as OpenMMLab packages ship
    them), so that ``mim train vpt_mm CONFIG`` finds them in a regular
    install. Editable installs get no copy (mim looks packages up in
    site-packages, where an editable install has none)."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        target = osp.join(self.build_lib, 'vpt_mm', '.mim')
        for name in MIM_FILES:
            source, dest = osp.join(HERE, name), osp.join(target, name)
            if osp.isdir(dest):
                shutil.rmtree(dest)
            os.makedirs(target, exist_ok=True)
            if osp.isdir(source):
                shutil.copytree(
                    source, dest,
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            elif osp.isfile(source):
                shutil.copyfile(source, dest)


setup(
    name='vpt_mm',
    version=read_version(),
    description='Visual Prompt Tuning for OpenMMLab (mmpretrain, mmseg)',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    cmdclass={'build_py': BuildPyWithMim},
    python_requires='>=3.8',
    license='Apache License 2.0',
    install_requires=read_requirements('runtime'),
    extras_require={
        'all': (read_requirements('runtime') +
                read_requirements('optional') +
                read_requirements('tests') +
                read_requirements('tensorboard') +
                read_requirements('openmim') + read_requirements('tsne') +
                read_requirements('serve')),
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
        # the hosts as ranges for an environment with its own torch and
        # mmcv (a CUDA cluster); the CPU set is requirements/mminstall.txt
        'mim': read_requirements('cuda'),
        'cuda': read_requirements('cuda'),
        'tensorboard': read_requirements('tensorboard'),
        'openmim': read_requirements('openmim'),
        # the FGVC converters (.mat files) and VTAB-1k from TFDS
        'datasets': ['scipy'] + read_requirements('tfds'),
        'tfds': read_requirements('tfds'),
        # the t-SNE of runs' features (tools/analysis/tsne.py)
        'tsne': read_requirements('tsne'),
        # the HTTP server of mixed-task inference (tools/serve.py)
        'serve': read_requirements('serve'),
    },
    zip_safe=False)
