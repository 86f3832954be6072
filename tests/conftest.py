# Import vpt_mm before any test module imports torchvision, timm or the
# OpenMMLab hosts, so that its CPU compatibility shims are in place.
import vpt_mm.modules  # noqa: F401  (patches, then registration)
import copy  # noqa: E402

import pytest  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402


@pytest.fixture(scope='module')
def restore_default_scope():
    """The runners and mmseg's init_model set a global default scope: give
    the tests after a module that uses this their own back."""
    saved = copy.deepcopy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved
