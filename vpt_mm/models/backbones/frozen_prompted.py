"""What every prompted host backbone shares: frozen weights, eval-mode
host modules and strict loading of pretrained weights."""
from typing import Dict

import torch
from torch import nn

from vpt_mm.checkpoint.io import read_state_dict
from vpt_mm.checkpoint.strict import load_state_dict_strictly
from ..trainable import keep_frozen_in_eval


class FrozenPromptedMixin:
    """Mixin for a host backbone subclass whose prompts live in
    ``self.prompt`` (a module, or None without prompts); it answers the
    trained contract of :mod:`vpt_mm.models.trainable`.

    * :meth:`trained_modules`: the prompt module (it follows ``train()``,
      e.g. for its dropout); every other child stays in eval mode (frozen
      BatchNorm keeps its running statistics, dropout and drop-path are
      off), as in the official VPT code.
    * :meth:`trained_parameters`: the prompts' parameters by default; only
      they get ``requires_grad`` (:meth:`freeze_backbone`).
    * :meth:`init_weights`: a ``Pretrained`` ``init_cfg`` (keys ``type``,
      ``checkpoint``, ``prefix``) is loaded strictly: every host weight
      must be present with its shape; the prompts are all or none.

    Subclasses may widen what loads with :meth:`may_be_missing`,
    :meth:`may_differ_in_shape` and :meth:`prepare_pretrained`, and what
    trains with :meth:`trained_parameters`. They set ``self.prompt`` (a
    module or None) before calling :meth:`freeze_backbone`.
    """

    def trained_modules(self) -> Dict[str, nn.Module]:
        """``{'prompt': the prompt module}``, or nothing without prompts."""
        return {} if self.prompt is None else {'prompt': self.prompt}

    def trained_parameters(self) -> Dict[str, nn.Parameter]:
        """The parameters of :meth:`trained_modules`, by their keys."""
        return {
            f'{name}.{key}': param
            for name, module in self.trained_modules().items()
            for key, param in module.named_parameters()
        }

    def freeze_backbone(self) -> None:
        """``requires_grad`` for :meth:`trained_parameters` only."""
        for param in self.parameters():
            param.requires_grad = False
        for param in self.trained_parameters().values():
            param.requires_grad = True

    def train(self, mode: bool = True):
        """Only :meth:`trained_modules` follow ``mode``; the frozen host
        stays in eval mode."""
        super().train(mode)
        if mode:
            keep_frozen_in_eval(self, self.trained_modules().values())
        return self

    def init_weights(self) -> None:
        init_cfg = self.init_cfg
        if not (isinstance(init_cfg, dict)
                and init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        unknown = set(init_cfg) - {'type', 'checkpoint', 'prefix'}
        if unknown:
            raise ValueError(f'init_cfg: unknown key(s) {sorted(unknown)} '
                             f'for a Pretrained {type(self).__name__}')
        checkpoint = init_cfg['checkpoint']
        state_dict = read_state_dict(checkpoint, init_cfg.get('prefix'))
        self.load_pretrained(state_dict, source=checkpoint)
        self._is_init = True

    def may_be_missing(self, key: str) -> bool:
        """Host keys a pretrained checkpoint may lack (none by default)."""
        return False

    def may_differ_in_shape(self, key: str) -> bool:
        """Keys whose shape the host's load hooks adapt (none by default)."""
        return False

    def prepare_pretrained(self, state_dict: Dict[str, torch.Tensor]
                           ) -> Dict[str, torch.Tensor]:
        """Adapt a checkpoint before it is checked (unchanged by default)."""
        return state_dict

    def load_pretrained(self, state_dict: Dict[str, torch.Tensor],
                        source: str) -> None:
        """Load backbone weights strictly, and the prompts all or none: a
        checkpoint without any ``prompt.*`` key leaves them at their
        initialisation; one with some must have them all."""
        state_dict = self.prepare_pretrained(dict(state_dict))
        has_prompts = any(key.startswith('prompt.') for key in state_dict)
        load_state_dict_strictly(
            self,
            state_dict,
            source,
            may_be_missing=lambda key: self.may_be_missing(key) or (
                key.startswith('prompt.') and not has_prompts),
            may_differ_in_shape=self.may_differ_in_shape)
