# Import vpt_mm before any test module imports torchvision, timm or the
# OpenMMLab hosts, so that its CPU compatibility shims are in place.
import vpt_mm.modules  # noqa: F401  (patches, then registration)
import copy  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402


@pytest.fixture(scope='module')
def restore_default_scope():
    """The runners and mmseg's init_model set a global default scope: give
    the tests after a module that uses this their own back."""
    saved = copy.deepcopy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(scope='module')
def one_thread():
    """One intra-op thread for a module of tiny forwards: more only spin
    (OpenMP) and oversubscribe a busy machine, costing seconds a test."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
