"""What every prompted host backbone shares: frozen weights, eval-mode
host modules and strict loading of pretrained weights."""
from typing import Dict

import torch

from vpt_mm.checkpoint.io import read_state_dict
from vpt_mm.checkpoint.strict import load_state_dict_strictly


class FrozenPromptedMixin:
    """Mixin for a host backbone subclass whose prompts live in
    ``self.prompt`` (a module, or None without prompts).

    * :meth:`freeze_backbone`: only the prompts have ``requires_grad``.
    * :meth:`train`: only the prompts follow the mode; every other child
      stays in eval mode (frozen BatchNorm keeps its running statistics,
      dropout and drop-path are off), as in the official VPT code.
    * :meth:`init_weights`: a ``Pretrained`` ``init_cfg`` (keys ``type``,
      ``checkpoint``, ``prefix``) is loaded strictly: every host weight
      must be present with its shape; the prompts are all or none.

    Subclasses may widen what loads with :meth:`may_be_missing`,
    :meth:`may_differ_in_shape` and :meth:`prepare_pretrained`. They set
    ``self.prompt`` (a module or None) before calling
    :meth:`freeze_backbone`.
    """

    def freeze_backbone(self) -> None:
        """``requires_grad=False`` for everything but the prompts."""
        for param in self.parameters():
            param.requires_grad = False
        if self.prompt is not None:
            for param in self.prompt.parameters():
                param.requires_grad = True

    def train(self, mode: bool = True):
        """Only the prompt module follows ``mode``; the frozen host stays in
        eval mode."""
        super().train(mode)
        for child in self.children():
            if child is not self.prompt:
                child.eval()
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
