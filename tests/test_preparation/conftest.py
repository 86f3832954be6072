import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(*parts):
    path = osp.join(ROOT, 'tools', *parts)
    spec = importlib.util.spec_from_file_location(
        'tool_' + '_'.join(parts).replace('.py', ''), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def fgvc_tool():
    return load_tool('dataset_converters', 'fgvc.py')


@pytest.fixture(scope='session')
def vtab_tool():
    return load_tool('dataset_converters', 'vtab1k.py')
