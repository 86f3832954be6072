"""setup.py's extras: [mim] (= [cuda]) holds the hosts as ranges for an
environment with its own torch and mmcv, never the CPU pin set of
requirements/mminstall.txt; [all] carries the TensorBoard and openmim
extras, so `make install` tests them."""
import os.path as osp
import runpy
from unittest import mock

import pytest
from packaging.requirements import Requirement

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def extras():
    with mock.patch('setuptools.setup') as setup:
        runpy.run_path(osp.join(ROOT, 'setup.py'), run_name='setup')
    return {name: [Requirement(line) for line in lines]
            for name, lines in setup.call_args.kwargs[
                'extras_require'].items()}


@pytest.mark.parametrize('extra', ['mim', 'cuda'])
def test_mim_extra_keeps_the_environments_torch_and_mmcv(extras, extra):
    names = {req.name: req for req in extras[extra]}
    assert set(names) == {'mmengine', 'mmcv', 'mmpretrain',
                          'mmsegmentation'}
    for req in names.values():
        assert not any(spec.operator == '==' for spec in req.specifier), req
    # a full mmcv build mmseg 1.2.x accepts, not mmcv-lite's CPU pin
    assert '2.1.0' in names['mmcv'].specifier
    assert '2.2.0' not in names['mmcv'].specifier


def test_all_has_tensorboard_and_openmim(extras):
    names = {req.name for req in extras['all']}
    assert {'tensorboard', 'openmim'} <= names
    # openmim imports pkg_resources, gone from setuptools >= 81
    setuptools = [req for req in extras['all'] if req.name == 'setuptools']
    assert setuptools and '81' not in setuptools[0].specifier
