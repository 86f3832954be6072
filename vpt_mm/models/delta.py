"""Per-task delta checkpoints: only what a run trains, on a shared backbone.

A delta holds the tensors a method trains (prompts, head, biases, adapters,
tuned blocks, side network) and the persistent buffers (BatchNorm
statistics) of modules that train as a whole, under the model's own
``state_dict`` keys. This is the model's side (which keys, which classes);
the file and its strict checks are :mod:`vpt_mm.checkpoint.delta`.

API::

    keys = delta_keys(model)                   # what a run saves
    tensors = delta_state_dict(model)          # {key: tensor}, detached
    save_delta(model, 'epoch_100.delta.safetensors', config='a.py')
    tensors, meta = read_delta('epoch_100.delta.safetensors')  # the file
    apply_delta(model, tensors, source='epoch_100.delta.safetensors')
    load_delta(model, 'epoch_100.delta.safetensors')  # read, check, apply

A delta is bound to its backbone (:mod:`.delta_binding`): ``save_delta``
records the frozen backbone's fingerprint, its pretrained file, the
architecture, prompt_cfg, methods and head; ``load_delta`` refuses a
delta of another config, or on another or an uninitialised backbone
(unless ``allow_other_backbone``, which is logged).
"""
from typing import Dict, List, Optional

import torch
from mmengine.model import is_model_wrapper
from torch import nn

from vpt_mm.checkpoint.delta import (apply_delta_tensors, check_delta,
                                     load_checked_delta, read_delta,
                                     write_delta)
from .delta_binding import (backbone_chain, binding_meta, check_binding,
                            model_head)
from .trainable import answers_trained_contract, wrapped_chain


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP (or other mmengine) wrapper."""
    return model.module if is_model_wrapper(model) else model


def _buffer_owners(module: nn.Module, owners: List[nn.Module]) -> None:
    """Collect the modules whose persistent buffers a delta holds.

    A module that says what it trains (:mod:`vpt_mm.models.trainable`) is
    asked: only its trained modules can hold such buffers. Elsewhere (a
    head, a neck, a host backbone trained in full) every module is a
    candidate. A candidate holds them when its own parameters all train
    (a tuned block's or an Mlp head's BatchNorm); frozen modules stay in
    eval mode, so their buffers never change.
    """
    if answers_trained_contract(module):
        candidates = [
            sub for trained in module.trained_modules().values()
            for sub in trained.modules()
        ]
        children = []
    else:
        candidates, children = [module], list(module.children())
    for candidate in candidates:
        own = list(candidate.parameters(recurse=False))
        if own and all(param.requires_grad for param in own):
            owners.append(candidate)
    for child in children:
        _buffer_owners(child, owners)


def delta_keys(model: nn.Module) -> List[str]:
    """The ``state_dict`` keys a run of ``model`` trains, in order.

    The trainable parameters (those with ``requires_grad``, set by the
    trained contract of prompted backbones and PEFT wrappers, or by the
    config for heads) and the persistent buffers of the modules that train
    as a whole (see :func:`_buffer_owners`).
    """
    model = unwrap(model)
    wanted = {id(p) for p in model.parameters() if p.requires_grad}
    owners: List[nn.Module] = []
    _buffer_owners(model, owners)
    for owner in owners:
        wanted.update(
            id(buffer) for name, buffer in owner.named_buffers(recurse=False)
            if name not in owner._non_persistent_buffers_set)
    state = model.state_dict(keep_vars=True)
    return [key for key, value in state.items() if id(value) in wanted]


def delta_state_dict(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The tensors of :func:`delta_keys`, detached, contiguous, on CPU."""
    model = unwrap(model)
    keys = set(delta_keys(model))
    return {
        key: value.detach().cpu().contiguous().clone()
        for key, value in model.state_dict().items() if key in keys
    }


def model_methods(model: nn.Module) -> List[str]:
    """The model's class and those of its backbone, wrappers and head, for
    the delta's metadata (e.g. ``['ImageClassifier', 'BiasTuning',
    'PromptedViT', 'LinearClsHead']``)."""
    model = unwrap(model)
    # a model that evaluates runs of another (a prompt ensemble) names it
    names = [getattr(model, 'delta_model_type', type(model).__name__)]
    chains = [
        backbone_chain(model),
        wrapped_chain(model._modules.get('neck')),
        wrapped_chain(model_head(model))
    ]
    return names + [type(module).__name__ for chain in chains
                    for module in chain]


def save_delta(model: nn.Module,
               filename: str,
               config: Optional[str] = None,
               extra_meta: Optional[Dict[str, str]] = None,
               fingerprint: Optional[str] = None) -> List[str]:
    """Write :func:`delta_state_dict` of ``model`` to ``filename``, bound
    to its backbone (:func:`.delta_binding.binding_meta`).

    Args:
        model (nn.Module): The (possibly DDP-wrapped) model.
        filename (str): A ``.safetensors`` path.
        config (str, optional): The config file the model was built from.
        extra_meta (dict, optional): More string metadata (epoch, iter,
            ``classes`` as JSON, ``dataset``).
        fingerprint (str, optional): The backbone's fingerprint when
            already computed (a run's frozen backbone does not change).

    Returns:
        list[str]: The keys written.
    """
    tensors = delta_state_dict(model)
    meta = binding_meta(unwrap(model), list(tensors), fingerprint)
    meta.update(extra_meta or {})
    write_delta(filename, tensors, model_methods(model), config, meta)
    return list(tensors)


def apply_delta(model: nn.Module, tensors: Dict[str, torch.Tensor],
                source: str) -> None:
    """Load a delta on top of ``model`` (whose backbone is already loaded).

    Strict: every key of :func:`delta_keys` must be present with the
    model's shape, and no other key may be (a delta never overwrites the
    shared frozen backbone).

    Raises:
        CheckpointMismatchError: Naming the first offending key.
    """
    model = unwrap(model)
    apply_delta_tensors(model, tensors, delta_keys(model), source)


def load_delta(model: nn.Module,
               filename: str,
               allow_other_backbone: bool = False) -> Dict[str, str]:
    """Read a delta, check it is bound to ``model`` and its backbone
    (loaded from the config's ``init_cfg``), then apply it.

    Args:
        model (nn.Module): The model, its backbone loaded.
        filename (str): The delta file.
        allow_other_backbone (bool): Apply it on another or an
            uninitialised backbone (logged) instead of refusing.

    Returns:
        dict: The delta's metadata.

    Raises:
        CheckpointMismatchError: One line naming the key, the field, or
            both backbones' fingerprints (a ``DeltaBindingError``).
    """
    tensors, meta = read_delta(filename)
    model = unwrap(model)
    trained = delta_keys(model)
    check_delta(tensors, model.state_dict(), trained, filename,
                type(model).__name__)
    check_binding(model, meta, filename, trained, allow_other_backbone,
                  methods=model_methods(model))
    load_checked_delta(model, tensors, filename)
    return meta
