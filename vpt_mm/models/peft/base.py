"""The contract shared by every structural PEFT wrapper.

A wrapper builds a backbone (``module``), decides by module structure what
of it trains, may add modules of its own, and is otherwise invisible: its
forward is the backbone's and its ``state_dict`` keys are the backbone's
keys (no ``module.`` prefix) plus those of the modules it added, so
``Pretrained`` ``init_cfg`` files, checkpoints and converters work
unchanged.

A wrapper answers the trained contract of :mod:`vpt_mm.models.trainable`
(and asks it of the backbone it wraps): :meth:`trained_parameters` are the
only parameters with ``requires_grad=True`` (the optimizer constructor and
:func:`~vpt_mm.engine.optimizers.trainable_report` read that flag). In
training mode only the *trained modules* (:meth:`trained_modules`: the
backbone's own prompts, the blocks Partial-k tunes, the wrapper's adapters
and side network) follow the mode; every other part of the backbone stays
in eval mode, so frozen BatchNorm statistics never change and the frozen
encoder's dropout is off, as in the official VPT code.
"""
from typing import Any, Dict, Iterable, List, Optional, Union

from mmengine.model import BaseModule
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from torch import nn

from ..trainable import answers_trained_contract, keep_frozen_in_eval


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


class PEFTWrapper(BaseModule):
    """Base class of the structural PEFT wrappers.

    Builds ``module``; a host backbone is frozen entirely, a backbone that
    says what it trains (:func:`~vpt_mm.models.trainable.
    answers_trained_contract`: a prompted backbone, or another wrapper)
    keeps it (its prompts), so wrappers compose with prompts (VPT+Bias).
    Subclasses then train parts of the backbone with
    :meth:`add_trained_module` (as a whole) or
    :meth:`add_trained_parameters`, or add modules of their own (which
    train).

    Args:
        module (dict | nn.Module): The backbone config (any backbone of the
            current scope's ``MODELS``) or the backbone.
        init_cfg (dict, optional): Initialisation of the wrapper's own
            modules. The backbone's weights come from ``module``'s own
            ``init_cfg``.
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.module = build_backbone(module)
        # names relative to the backbone: its own trained modules, those
        # added here, single trained parameters added here
        self._inner_names: List[str] = []
        self._added_names: List[str] = []
        self._added_parameters: List[str] = []
        if answers_trained_contract(self.module):
            self._inner_names = list(self.module.trained_modules())
        else:
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
        if name not in self._added_names:
            self._added_names.append(name)

    def add_trained_parameters(self,
                               params: Iterable[nn.Parameter]) -> None:
        """Mark single parameters of the backbone as trained."""
        keys = {
            id(value): key
            for key, value in self.module.state_dict(keep_vars=True).items()
        }
        for param in params:
            if id(param) not in keys:
                raise ValueError('the parameter is not one of the wrapped '
                                 f'{type(self.module).__name__}')
            param.requires_grad = True
            if keys[id(param)] not in self._added_parameters:
                self._added_parameters.append(keys[id(param)])

    def _name_in_backbone(self, module: nn.Module) -> str:
        for name, candidate in self.module.named_modules():
            if candidate is module:
                return name
        raise ValueError(f'{type(module).__name__} is not a submodule of the '
                         f'wrapped {type(self.module).__name__}')

    def _own_children(self) -> Dict[str, nn.Module]:
        return {
            name: child
            for name, child in self._modules.items() if name != 'module'
        }

    def trained_modules(self) -> Dict[str, nn.Module]:
        """The backbone's submodules that train as a whole (its own, such
        as prompts, and those added, such as tuned blocks), by name relative
        to the backbone, and the wrapper's own modules."""
        modules = {
            name: self.module.get_submodule(name)
            for name in self._inner_names + self._added_names
        }
        modules.update(self._own_children())
        return modules

    def trained_parameters(self) -> Dict[str, nn.Parameter]:
        """What the backbone trains, the parameters of the added trained
        modules, the single added parameters and the wrapper's own."""
        params = {}
        if answers_trained_contract(self.module):
            params.update(self.module.trained_parameters())
        for name in self._added_names:
            module = self.module.get_submodule(name)
            params.update({
                f'{name}.{key}': param
                for key, param in module.named_parameters()
            })
        if self._added_parameters:
            state = self.module.state_dict(keep_vars=True)
            params.update({key: state[key] for key in self._added_parameters})
        params.update({
            name: param
            for name, param in self.named_parameters()
            if not name.startswith('module.')
        })
        return params

    def train(self, mode: bool = True) -> 'PEFTWrapper':
        """Added modules and :meth:`trained_modules` follow ``mode``; the
        rest of the backbone stays in eval mode."""
        super().train(mode)
        if mode:
            keep_frozen_in_eval(self.module, self.trained_modules().values())
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
