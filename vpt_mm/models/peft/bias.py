"""Bias tuning (BitFit): every bias term of the backbone trains."""
from typing import Optional, Union

from torch import nn

from vpt_mm.registry import register_backbone
from .base import PEFTWrapper


@register_backbone
class BiasTuning(PEFTWrapper):
    """Train the ``bias`` parameter of every module of the backbone (linear,
    convolution and norm layers alike); everything else stays frozen, and
    the backbone's modules stay in eval mode (BatchNorm statistics
    unchanged). Around a prompted backbone the prompts train too
    (VPT+Bias).

    Args:
        module (dict | nn.Module): The backbone.
        init_cfg (dict, optional): Unused (no added modules).

    Example:
        >>> backbone = dict(type='BiasTuning',
        ...                 module=dict(type='PromptedViT', arch='b'))
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(module, init_cfg=init_cfg)
        biases = [
            sub.bias for sub in self.module.modules()
            if isinstance(getattr(sub, 'bias', None), nn.Parameter)
        ]
        self.add_trained_parameters(biases)
        self.num_biases = len(biases)
        if self.num_biases == 0:
            raise ValueError(f'BiasTuning: {type(self.module).__name__} has '
                             'no module with a bias parameter')
