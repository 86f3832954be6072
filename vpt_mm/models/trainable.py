"""What trains: the one contract of prompted backbones and PEFT wrappers.

A module that decides itself what of it trains answers two questions:

* ``trained_modules()``: ``{name: submodule}`` of the submodules that
  train as a whole (a prompted backbone's prompts, the blocks Partial-k
  tunes, inserted adapters). They follow ``train()``/``eval()``, so their
  BatchNorm statistics update and are saved in a delta; every other part
  stays in eval mode (:func:`keep_frozen_in_eval`).
* ``trained_parameters()``: ``{name: parameter}`` of every parameter that
  trains, the only ones with ``requires_grad=True`` (set once, by the
  module itself). The optimizer constructor and the delta read that flag.

Names are relative to the module and are its ``state_dict`` keys.
"""
from typing import Iterable, List, Optional

from torch import nn


def answers_trained_contract(module: nn.Module) -> bool:
    """Whether ``module`` says what of it trains (a prompted backbone or a
    PEFT wrapper); a host module does not."""
    return callable(getattr(module, 'trained_modules', None)) and callable(
        getattr(module, 'trained_parameters', None))


def wrapped_chain(module: Optional[nn.Module]) -> List[nn.Module]:
    """``module`` and the modules it wraps (a PEFT wrapper's ``module``),
    outermost first; empty for None."""
    chain = []
    while module is not None:
        chain.append(module)
        module = module._modules.get('module') if \
            answers_trained_contract(module) else None
    return chain


def keep_frozen_in_eval(root: nn.Module,
                        trained: Iterable[nn.Module]) -> None:
    """After ``root.train(True)``: the ``trained`` modules (and all their
    submodules) in train mode, every other submodule of ``root`` in eval
    mode (frozen BatchNorm keeps its statistics, frozen dropout and
    drop-path are off, as in the official VPT code). ``root`` itself keeps
    its mode."""
    following = {id(sub) for module in trained for sub in module.modules()}
    for sub in root.modules():
        if sub is not root:
            sub.training = id(sub) in following
