"""Each vpt_mm module is registered where its host looks, and only there."""
import pytest
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from vpt_mm.models import (BiasTuning, MlpClsHead, PromptedViT,
                           PromptEnsemble)
from vpt_mm.registry import (register_backbone, register_classifier,
                             register_head)


@pytest.mark.parametrize('cls', [MlpClsHead, PromptEnsemble])
def test_heads_and_classifiers_in_mmpretrain_only(cls):
    assert PRETRAIN_MODELS.module_dict[cls.__name__] is cls
    assert cls.__name__ not in SEG_MODELS.module_dict


@pytest.mark.parametrize('cls', [PromptedViT, BiasTuning])
def test_backbones_in_both_hosts(cls):
    assert PRETRAIN_MODELS.module_dict[cls.__name__] is cls
    assert SEG_MODELS.module_dict[cls.__name__] is cls


@pytest.mark.parametrize('register,in_seg', [
    (register_backbone, True),
    (register_head, False),
    (register_classifier, False),
])
def test_helpers(register, in_seg):
    name = f'_RegistryTest_{register.__name__}'
    cls = register(type(name, (), {}))
    try:
        assert PRETRAIN_MODELS.module_dict[name] is cls
        assert (name in SEG_MODELS.module_dict) == in_seg
    finally:
        PRETRAIN_MODELS.module_dict.pop(name, None)
        SEG_MODELS.module_dict.pop(name, None)
