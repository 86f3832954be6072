"""The frozen part of a classifier: what is a fixed function of the image.

Below the first trained module, a model's output does not change while it
trains: a Linear (or Mlp-k) probe's whole backbone, or the layers of a
:class:`~vpt_mm.models.backbones.PromptedViT` before its first prompted
layer (late-layer prompts, ``prompt_cfg.layers='12->3'``). A
:class:`FrozenPart` computes that output (:meth:`FrozenPart.compute`) and
runs the rest of the backbone on it (:meth:`FrozenPart.forward_rest`), so
that a run can train on cached features (:mod:`vpt_mm.datasets.
feature_cache`) with the same losses and weights as on the images.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from .delta import unwrap

class NotCacheable(ValueError):
    """The frozen part of a model cannot be cached exactly (the message
    says why)."""


def _is_stochastic(module: nn.Module) -> bool:
    """Whether ``module`` (in its current mode) draws random numbers or
    updates state in a forward."""
    if not module.training:
        return False
    if isinstance(module, nn.Dropout):
        return module.p > 0
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return True  # batch statistics, running statistics updated
    drop_prob = getattr(module, 'drop_prob', None)  # DropPath
    return isinstance(drop_prob, float) and drop_prob > 0


class FrozenPart:
    """The frozen part of ``model``'s backbone, in one of two forms.

    * ``start is None``: the whole backbone is frozen; the cache holds its
      outputs, and the neck and head train on them.
    * ``start = k``: a ``PromptedViT`` whose layers before ``k`` hold no
      prompt; the cache holds the sequence after layer ``k - 1``.

    Args:
        model (nn.Module): A classifier (``backbone``, maybe wrapped).

    Raises:
        NotCacheable: Nothing of the backbone is frozen, or its form is not
            one of the two.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = unwrap(model)
        backbone = getattr(self.model, 'backbone', None)
        if backbone is None:
            raise NotCacheable('the model has no backbone')
        self.backbone = backbone
        self.start: Optional[int] = None
        self.patch_resolution: Optional[Tuple[int, int]] = None
        if any(param.requires_grad for param in backbone.parameters()):
            self.start = self._first_trained_layer(backbone)

    @staticmethod
    def _first_trained_layer(backbone: nn.Module) -> int:
        layers = getattr(backbone, 'prompt_layers', None)
        name = type(backbone).__name__
        if layers is None or getattr(backbone, 'forward_layers',
                                     None) is None:
            raise NotCacheable(
                f'{name} trains some of its parameters and is not a '
                'PromptedViT with late-layer prompts')
        trained = set(backbone.trained_parameters())
        others = sorted(key for key, param in backbone.named_parameters()
                        if param.requires_grad and key not in trained)
        if others:
            raise NotCacheable(f'{name} trains {others[:3]} besides its '
                               'prompts')
        start = min(layers)
        if start == 0 or backbone.prompt_location not in ('prepend', ):
            raise NotCacheable(
                f'{name} has prompts in its first layer (or at the input: '
                f'location={backbone.prompt_location!r}); nothing below '
                'them is frozen')
        early = [i for i in backbone.out_indices if i < start]
        if early:
            raise NotCacheable(f'{name} outputs layer(s) {early}, below its '
                               f'first prompted layer {start}')
        return start

    def describe(self) -> str:
        """What is cached, for the log and the cache key."""
        name = type(self.backbone).__name__
        if self.start is None:
            return f'{name} outputs'
        return f'{name} sequence after layer {self.start - 1} (0-based)'

    def frozen_modules(self) -> List[Tuple[str, nn.Module]]:
        """``(name, module)`` of every module the frozen part runs."""
        if self.start is None:
            return list(self.backbone.named_modules())
        keep = ('patch_embed', 'drop_after_pos', 'pre_norm')
        mods = [(name, mod) for name, mod in self.backbone.named_modules()
                if name.split('.')[0] in keep]
        for i in range(self.start):
            mods += [(f'layers.{i}.{name}', mod) for name, mod in
                     self.backbone.layers[i].named_modules()]
        return mods

    def check_deterministic(self) -> None:
        """Refuse a frozen part that is random (or updates state) in the
        model's train mode: dropout, drop-path or BatchNorm in train mode.

        Raises:
            NotCacheable: Naming the first such module.
        """
        was_training = self.model.training
        self.model.train()
        try:
            for name, module in self.frozen_modules():
                if _is_stochastic(module):
                    raise NotCacheable(
                        f'backbone.{name} ({type(module).__name__}) is '
                        'stochastic in train mode; its output changes every '
                        'epoch')
        finally:
            self.model.train(was_training)

    @torch.no_grad()
    def compute(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """The frozen part's output for a batch of preprocessed images:
        one tensor per cached output, batch first."""
        if self.start is None:
            return list(self.backbone(inputs))
        x, self.patch_resolution = self.backbone.embed(inputs)
        x, _ = self.backbone.forward_layers(x, self.patch_resolution, 0,
                                            self.start)
        return [x]

    def forward_rest(self, cached: Sequence[torch.Tensor]
                     ) -> Tuple[torch.Tensor, ...]:
        """What the backbone returns, from the cached output of the frozen
        part (``patch_resolution`` set for a sequence)."""
        if self.start is None:
            return tuple(cached)
        _, outs = self.backbone.forward_layers(cached[0],
                                               self.patch_resolution,
                                               self.start)
        return tuple(outs)
