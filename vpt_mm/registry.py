"""Registration of vpt_mm modules into the host libraries' registries.

vpt_mm has no registries of its own: backbones go into both mmpretrain's and
mmsegmentation's ``MODELS`` so that configs of either host (with their own
``default_scope``) can use them; everything else goes where its host looks
(classification heads and classifiers into mmpretrain's ``MODELS`` only).
"""
from typing import Type

from mmpretrain.registry import DATASETS as PRETRAIN_DATASETS
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmpretrain.registry import METRICS as PRETRAIN_METRICS
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as PRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import DATASETS as SEG_DATASETS
from mmseg.registry import HOOKS as SEG_HOOKS
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as SEG_OPTIM_WRAPPER_CONSTRUCTORS

__all__ = [
    'register_backbone', 'register_head', 'register_classifier',
    'register_dataset', 'register_seg_dataset',
    'register_optim_wrapper_constructor', 'register_hook', 'register_metric',
    'register_host_override'
]


def register_backbone(cls: Type) -> Type:
    """Register a backbone in mmpretrain's and mmseg's ``MODELS``."""
    PRETRAIN_MODELS.register_module(module=cls)
    SEG_MODELS.register_module(module=cls)
    return cls


def register_head(cls: Type) -> Type:
    """Register a classification head in mmpretrain's ``MODELS``."""
    PRETRAIN_MODELS.register_module(module=cls)
    return cls


def register_classifier(cls: Type) -> Type:
    """Register a classifier (a whole model) in mmpretrain's ``MODELS``."""
    PRETRAIN_MODELS.register_module(module=cls)
    return cls


def register_dataset(cls: Type) -> Type:
    """Register a classification dataset in mmpretrain's ``DATASETS``."""
    PRETRAIN_DATASETS.register_module(module=cls)
    return cls


def register_seg_dataset(cls: Type) -> Type:
    """Register a segmentation dataset in mmseg's ``DATASETS``."""
    SEG_DATASETS.register_module(module=cls)
    return cls


def register_optim_wrapper_constructor(cls: Type) -> Type:
    """Register an optimizer-wrapper constructor for both hosts."""
    PRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS.register_module(module=cls)
    SEG_OPTIM_WRAPPER_CONSTRUCTORS.register_module(module=cls)
    return cls


def register_hook(cls: Type) -> Type:
    """Register a runner hook for both hosts."""
    PRETRAIN_HOOKS.register_module(module=cls)
    SEG_HOOKS.register_module(module=cls)
    return cls


def register_metric(cls: Type) -> Type:
    """Register a classification metric in mmpretrain's ``METRICS``."""
    PRETRAIN_METRICS.register_module(module=cls)
    return cls


def register_host_override(cls: Type) -> Type:
    """Register ``cls`` under its name in mmpretrain's and mmseg's
    ``MODELS``, replacing a host module of that name (a subclass that
    behaves as the host's for every module the host supports)."""
    PRETRAIN_MODELS.register_module(module=cls, force=True)
    SEG_MODELS.register_module(module=cls, force=True)
    return cls
