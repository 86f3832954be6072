"""Adapters (Pfeiffer placement) after every transformer FFN."""
from typing import Optional, Union

import torch
from mmcv.cnn import build_activation_layer
from torch import nn

from vpt_mm.registry import register_backbone
from .base import PEFTWrapper
from .structure import ffns_of


class Adapter(nn.Module):
    """``x + up(act(down(x)))``; ``up`` is zero-initialised so that the
    adapter starts as the identity.

    Args:
        dims (int): Input and output channels.
        reduction (int): ``dims // reduction`` hidden channels.
        act_cfg (dict): The nonlinearity.
    """

    def __init__(self, dims: int, reduction: int, act_cfg: dict) -> None:
        super().__init__()
        hidden = dims // reduction
        if hidden < 1:
            raise ValueError(f'reduction {reduction} leaves no hidden '
                             f'channel of {dims} channels')
        self.down = nn.Linear(dims, hidden)
        self.act = build_activation_layer(act_cfg)
        self.up = nn.Linear(hidden, dims)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(self.act(self.down(x)))


class _ApplyAdapter:
    """Forward hook on an FFN's MLP: its output goes through the adapter.
    A callable object (not a closure) so that ``copy.deepcopy`` of the
    model points the copy's hook at the copy's adapter."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter

    def __call__(self, module, inputs, output):
        return self.adapter(output)


@register_backbone
class AdapterTuning(PEFTWrapper):
    """Insert an adapter after the FFN of every transformer block.

    Pfeiffer placement as in the paper (after the FFN sub-layer): in each
    block the FFN's MLP output ``h`` becomes ``h + up(act(down(h)))``
    before the block's residual is added. The host's FFN modules are not
    replaced (forward hooks), so the backbone's keys are unchanged; the
    adapters are the wrapper's ``adapters.{i}.{down,up}.*``. Works for
    ViT (both forward paths of PromptedViT) and Swin.

    Args:
        module (dict | nn.Module): The backbone (ViT or Swin).
        reduction (int): r in the paper's {8, 64, 256}: hidden channels
            are ``dims // r``. Defaults to 8.
        act_cfg (dict, optional): The nonlinearity. Defaults to
            ``dict(type='ReLU')``.
        init_cfg (dict, optional): Initialisation of the adapters; by
            default ``down`` keeps torch's default init and ``up`` is zero.
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 reduction: int = 8,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(module, init_cfg=init_cfg)
        if act_cfg is None:
            act_cfg = dict(type='ReLU')
        if (not isinstance(reduction, int) or isinstance(reduction, bool)
                or reduction < 1):
            raise ValueError(
                f'reduction must be a positive int, got {reduction!r}')
        self.reduction = reduction
        ffns = ffns_of(self.module)
        adapters = []
        for ffn in ffns:
            dims = self._output_dims(ffn)
            adapters.append(Adapter(dims, reduction, act_cfg))
        self.adapters = nn.ModuleList(adapters)
        for ffn, adapter in zip(ffns, self.adapters):
            ffn.layers.register_forward_hook(_ApplyAdapter(adapter))

    @staticmethod
    def _output_dims(ffn: nn.Module) -> int:
        dims = getattr(ffn, 'embed_dims', None)
        if not isinstance(dims, int):
            linears = [m for m in ffn.layers.modules()
                       if isinstance(m, nn.Linear)]
            if not linears:
                raise TypeError(f'{type(ffn).__name__}: no Linear layer '
                                'to read the output channels from')
            dims = linears[-1].out_features
        return dims
