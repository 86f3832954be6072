"""Install vpt-mm: ``pip install -e .`` (add ``[tests]`` for the suite)."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


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


setup(
    name='vpt_mm',
    version=read_version(),
    description='Visual Prompt Tuning for OpenMMLab (mmpretrain, mmseg)',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    python_requires='>=3.8',
    license='Apache License 2.0',
    install_requires=read_requirements('runtime'),
    extras_require={
        'all': (read_requirements('runtime') +
                read_requirements('optional') +
                read_requirements('tests') +
                read_requirements('serve')),
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
        'mim': read_requirements('mminstall'),
        # the FGVC converters (.mat files) and VTAB-1k from TFDS
        'datasets': ['scipy'] + read_requirements('tfds'),
        'tfds': read_requirements('tfds'),
        # the HTTP server of mixed-task inference (tools/serve.py)
        'serve': read_requirements('serve'),
    },
    zip_safe=False)
