"""Partial-k: the last k blocks and the final norm train."""
from typing import Optional, Union

from torch import nn

from vpt_mm.registry import register_backbone
from .base import PEFTWrapper
from .structure import blocks_of, final_norms_of


@register_backbone
class PartialTuning(PEFTWrapper):
    """Train the backbone's last ``num_blocks`` blocks and its final norm.

    Blocks by the host's containers: ViT ``layers``, Swin
    ``stages[i].blocks``, ConvNeXt ``stages[i]``, ResNet residual blocks of
    ``res_layers``; counted from the output across stages. The tuned
    modules follow ``train()`` (their BatchNorm statistics update and are
    part of the delta); the rest stays frozen in eval mode.

    Args:
        module (dict | nn.Module): The backbone.
        num_blocks (int): k, at least 1 and at most the number of blocks.
            Defaults to 1.
        init_cfg (dict, optional): Unused (no added modules).
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 num_blocks: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(module, init_cfg=init_cfg)
        blocks = blocks_of(self.module)
        if (not isinstance(num_blocks, int) or isinstance(num_blocks, bool)
                or not 1 <= num_blocks <= len(blocks)):
            raise ValueError(f'num_blocks must be an int in [1, '
                             f'{len(blocks)}] for this '
                             f'{type(self.module).__name__}, got '
                             f'{num_blocks!r}')
        self.num_blocks = num_blocks
        for block in blocks[-num_blocks:]:
            self.add_trained_module(block)
        for norm in final_norms_of(self.module):
            self.add_trained_module(norm)
