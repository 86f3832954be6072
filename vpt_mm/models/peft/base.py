"""The contract shared by every structural PEFT wrapper.

A wrapper builds a backbone (``module``), decides by module structure what
of it trains, may add modules of its own, and is otherwise invisible: its
forward is the backbone's and its ``state_dict`` keys are the backbone's
keys (no ``module.`` prefix) plus those of the modules it added, so
``Pretrained`` ``init_cfg`` files, checkpoints and converters work
unchanged.

What trains is what has ``requires_grad=True`` (the optimizer constructor
and :func:`~vpt_mm.engine.optimizers.trainable_report` read that); what a
run saves as its delta is :func:`vpt_mm.models.peft.delta.delta_state_dict`.
In training mode only the *trained modules* (:meth:`trained_modules`: the
backbone's own prompts, the blocks Partial-k tunes, the inserted adapters,
the side network) follow the mode; every other part of the backbone stays
in eval mode, so frozen BatchNorm statistics never change and the frozen
encoder's dropout is off, as in the official VPT code.
"""
from typing import Any, Dict, List, Union

from mmengine.model import BaseModule
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from torch import nn


def build_backbone(module: Union[dict, nn.Module]) -> nn.Module:
    """Build ``module`` in the registry of the current default scope
    (mmpretrain's when none is set); an ``nn.Module`` is used as is."""
    if isinstance(module, nn.Module):
        return module
    if not isinstance(module, dict) or 'type' not in module:
        raise TypeError('module must be a backbone config dict with a '
                        f"'type' or an nn.Module, got {module!r}")
    if DefaultScope.get_current_instance() is None:
        return PRETRAIN_MODELS.build(module)
    return ROOT_MODELS.build(module)


def freezes_itself(module: nn.Module) -> bool:
    """True for backbones that decide themselves what of them trains (the
    vpt_mm prompted backbones, which have ``freeze_backbone()``, and other
    PEFT wrappers); a host backbone does not."""
    return callable(getattr(module, 'freeze_backbone', None)) or isinstance(
        module, PEFTWrapper)


def fully_trainable_roots(module: nn.Module) -> List[str]:
    """Names (relative to ``module``) of the largest submodules whose
    parameters all require grad: a prompted backbone's prompt modules."""
    roots: List[str] = []

    def visit(name: str, child: nn.Module) -> None:
        params = list(child.parameters())
        if params and all(param.requires_grad for param in params):
            roots.append(name)
            return
        for child_name, grandchild in child.named_children():
            visit(f'{name}.{child_name}' if name else child_name, grandchild)

    for child_name, child in module.named_children():
        visit(child_name, child)
    return roots


class PEFTWrapper(BaseModule):
    """Base class of the structural PEFT wrappers.

    Builds ``module``; a host backbone is frozen entirely, a backbone that
    freezes itself (:func:`freezes_itself`: a prompted backbone, or another
    wrapper) keeps what it trains (its prompts), so wrappers compose with
    prompts (VPT+Bias). Subclasses then unfreeze or add modules and register
    the modules that train as a whole with :meth:`add_trained_module`.

    Args:
        module (dict | nn.Module): The backbone config (any backbone of the
            current scope's ``MODELS``) or the backbone.
        init_cfg (dict, optional): Initialisation of the wrapper's own
            modules. The backbone's weights come from ``module``'s own
            ``init_cfg``.
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 init_cfg: Union[dict, None] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.module = build_backbone(module)
        if freezes_itself(self.module):
            self._trained_names = fully_trainable_roots(self.module)
        else:
            self._trained_names = []
            for param in self.module.parameters():
                param.requires_grad = False
        self._register_key_hooks()

    # -- what trains --------------------------------------------------------
    def add_trained_module(self, module: nn.Module) -> None:
        """Mark a submodule of the backbone as trained: all its parameters
        require grad and it follows ``train()``/``eval()`` (its BatchNorm
        statistics update and are saved in the delta)."""
        name = self._name_in_backbone(module)
        for param in module.parameters():
            param.requires_grad = True
        if name not in self._trained_names:
            self._trained_names.append(name)

    def _name_in_backbone(self, module: nn.Module) -> str:
        for name, candidate in self.module.named_modules():
            if candidate is module:
                return name
        raise ValueError(f'{type(module).__name__} is not a submodule of the '
                         f'wrapped {type(self.module).__name__}')

    def trained_modules(self) -> Dict[str, nn.Module]:
        """The backbone's submodules that train as a whole (prompts, tuned
        blocks), by name relative to the backbone. The wrapper's own added
        modules train as well."""
        return {
            name: self.module.get_submodule(name)
            for name in self._trained_names
        }

    def train(self, mode: bool = True) -> 'PEFTWrapper':
        """Added modules and :meth:`trained_modules` follow ``mode``; the
        rest of the backbone stays in eval mode."""
        super().train(mode)
        if mode:
            trained = {
                id(sub)
                for root in self.trained_modules().values()
                for sub in root.modules()
            }
            for sub in self.module.modules():
                if sub is not self.module:
                    sub.training = id(sub) in trained
        return self

    # -- keys: the backbone's, unprefixed ------------------------------------
    def _own_names(self) -> set:
        return (set(self._parameters) | set(self._buffers)
                | set(self._modules)) - {'module'}

    def _register_key_hooks(self) -> None:

        def strip_prefix(module, state_dict, prefix, local_metadata):
            inner = prefix + 'module.'
            keys = [key for key in state_dict if key.startswith(prefix)]
            items = [(key, state_dict.pop(key)) for key in keys]
            for key, value in items:
                if key.startswith(inner):
                    key = prefix + key[len(inner):]
                state_dict[key] = value

        def add_prefix(state_dict, prefix, local_metadata, strict,
                       missing_keys, unexpected_keys, error_msgs):
            own = self._own_names()
            for key in [key for key in state_dict if key.startswith(prefix)]:
                name = key[len(prefix):]
                if name.split('.')[0] not in own:
                    state_dict[prefix + 'module.' + name] = state_dict.pop(key)

        self._register_state_dict_hook(strip_prefix)
        self._register_load_state_dict_pre_hook(add_prefix)

    def __setattr__(self, name: str, value: Any) -> None:
        if (isinstance(value, (nn.Module, nn.Parameter)) and name != 'module'
                and 'module' in self._modules):
            top_keys = {
                key.split('.')[0]
                for key in self._modules['module'].state_dict()
            }
            if name in top_keys:
                raise ValueError(
                    f'{type(self).__name__}: the name "{name}" of an added '
                    'module is also a key of the wrapped backbone')
        super().__setattr__(name, value)

    # -- behave as the backbone ----------------------------------------------
    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == 'module' or 'module' not in self._modules:
                raise
            return getattr(self._modules['module'], name)
