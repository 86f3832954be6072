"""What binds a delta to its model: the model's side of the check.

A delta records (:func:`binding_meta`) the fingerprint of the frozen
backbone it was trained on, the pretrained file it came from, the
backbone's architecture signature, its prompt_cfg, the methods and the
head's shape; :func:`check_binding` compares them with a model (whose
backbone is loaded) before the delta goes on it. The file side (the hash,
the comparisons, the errors) is :mod:`vpt_mm.checkpoint.delta`.

API::

    trained = delta_keys(model)                 # vpt_mm.models.delta
    meta = binding_meta(model, trained)         # for save_delta
    fingerprint = backbone_fingerprint(model, trained)  # frozen tensors
    check_binding(model, meta, 'x.delta.safetensors', trained,
                  allow_other_backbone=False)   # raises DeltaBindingError
"""
import json
from typing import Dict, Iterable, List, Optional

import torch
from torch import nn

from vpt_mm.checkpoint.delta import (BACKBONE_CHECKPOINT_KEY, FINGERPRINT_KEY,
                                     check_backbone_fingerprint,
                                     check_delta_binding, fingerprint_tensors)
from .trainable import wrapped_chain

#: prompt_cfg keys that only say how prompts start: a delta overwrites them.
_INIT_ONLY = ('init', 'init_file')
_HEAD_ATTRS = ('num_classes', 'in_channels', 'channels')


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def backbone_chain(model: nn.Module) -> List[nn.Module]:
    """The backbone and the modules it wraps (a PEFT wrapper's module),
    outermost first; empty for a model without a ``backbone``."""
    return wrapped_chain(model._modules.get('backbone'))


def model_head(model: nn.Module) -> Optional[nn.Module]:
    """The model's head (a segmentor's decode head, an ensemble's first)."""
    for name in ('head', 'decode_head'):
        if model._modules.get(name) is not None:
            return model._modules[name]
    heads = model._modules.get('heads')
    return heads[0] if heads is not None and len(heads) else None


def backbone_checkpoint(model: nn.Module) -> Optional[str]:
    """The pretrained file of the model's backbone (its ``init_cfg`` of
    type ``Pretrained``), or None when the backbone has none."""
    for module in backbone_chain(model):
        init_cfg = getattr(module, 'init_cfg', None)
        cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
        for cfg in cfgs:
            if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' \
                    and cfg.get('checkpoint'):
                return str(cfg['checkpoint'])
    return None


def frozen_backbone_state(model: nn.Module,
                          trained: Iterable[str]) -> Dict[str, torch.Tensor]:
    """The backbone's tensors a delta does not hold (the shared frozen
    weights; ``trained``: the delta's keys), keyed relative to the
    backbone."""
    trained = set(trained)
    return {
        key[len('backbone.'):]: value
        for key, value in model.state_dict().items()
        if key.startswith('backbone.') and key not in trained
    }


def backbone_fingerprint(model: nn.Module, trained: Iterable[str]) -> str:
    """:func:`~vpt_mm.checkpoint.delta.fingerprint_tensors` of
    :func:`frozen_backbone_state`."""
    return fingerprint_tensors(frozen_backbone_state(model, trained))


def architecture_signature(model: nn.Module) -> dict:
    """The innermost backbone's type, arch settings, image and patch
    size (what its frozen weights' meaning depends on)."""
    chain = backbone_chain(model)
    if not chain:
        return {}
    inner = chain[-1]
    signature = dict(type=type(inner).__name__)
    for attr in ('arch_settings', 'img_size', 'patch_size', 'depth'):
        value = getattr(inner, attr, None)
        if isinstance(value, (int, str, tuple, list, dict)):
            signature[attr] = value
    projection = getattr(getattr(inner, 'patch_embed', None), 'projection',
                         None)
    if 'patch_size' not in signature and projection is not None:
        signature['patch_size'] = getattr(projection, 'kernel_size', None)
    return json.loads(_json(signature))  # tuples as lists, as stored


def prompt_signature(model: nn.Module) -> Optional[dict]:
    """The prompted backbone's ``prompt_cfg`` less its initialisation."""
    for module in backbone_chain(model):
        cfg = getattr(module, 'prompt_cfg', None)
        if isinstance(cfg, dict):
            return json.loads(_json({
                key: value
                for key, value in cfg.items() if key not in _INIT_ONLY
            }))
    return None


def head_signature(model: nn.Module) -> Optional[dict]:
    """The head's type and shape (classes, input channels)."""
    head = model_head(model)
    if head is None:
        return None
    signature = dict(type=type(head).__name__)
    for attr in _HEAD_ATTRS:
        value = getattr(head, attr, None)
        if isinstance(value, int):
            signature[attr] = value
    return signature


def binding_fields(model: nn.Module) -> Dict[str, str]:
    """The model's :data:`~vpt_mm.checkpoint.delta.BINDING_FIELDS` other
    than ``methods`` (written by ``write_delta``), as JSON strings."""
    return dict(
        signature=_json(architecture_signature(model)),
        prompt_cfg=_json(prompt_signature(model)),
        head=_json(head_signature(model)))


def binding_meta(model: nn.Module,
                 trained: Iterable[str],
                 fingerprint: Optional[str] = None) -> Dict[str, str]:
    """What a delta of ``model`` records of it: :func:`binding_fields`,
    the backbone's fingerprint (``fingerprint`` when already computed) and
    its pretrained file."""
    meta = binding_fields(model)
    meta[FINGERPRINT_KEY] = fingerprint or backbone_fingerprint(model, trained)
    meta[BACKBONE_CHECKPOINT_KEY] = backbone_checkpoint(model) or ''
    return meta


def check_binding(model: nn.Module,
                  meta: Dict[str, str],
                  source: str,
                  trained: Iterable[str],
                  allow_other_backbone: bool = False,
                  methods: Optional[List[str]] = None) -> None:
    """Check a delta's metadata against ``model`` (backbone loaded).

    Args:
        model (nn.Module): The unwrapped model the delta goes on.
        meta (dict): The delta's metadata.
        source (str): The delta file, for messages.
        trained (Iterable[str]): The model's delta keys.
        allow_other_backbone (bool): Log another or a missing backbone
            instead of raising.
        methods (list[str], optional): The model's methods
            (``model_methods``), compared with the delta's.

    Raises:
        DeltaBindingError: One line naming the field, or both fingerprints
            and backbone files.
    """
    binding = binding_fields(model)
    if methods is not None:
        binding['methods'] = _json(methods)
    check_delta_binding(meta, binding, source)
    check_backbone_fingerprint(meta, backbone_fingerprint(model, trained),
                               backbone_checkpoint(model), source,
                               allow_other_backbone)
