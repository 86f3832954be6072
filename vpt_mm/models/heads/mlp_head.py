"""The Mlp-k head: k linear layers, the last one the classifier."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.heads import ClsHead
from torch import nn

from vpt_mm.registry import register_head


@register_head
class MlpClsHead(ClsHead):
    """Mlp-k classification head of the VPT paper's baselines.

    ``num_layers - 1`` blocks ``Linear -> ReLU -> BatchNorm1d -> Dropout``
    of width ``hidden_channels``, then the linear classifier ``fc``. Mlp-1
    is the linear head. On ViT-B/16 Mlp-3 has 1.26 M parameters with 100
    classes (1.45 % of the model, Tab. 12).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature width.
        num_layers (int): k, the number of linear layers. Defaults to 3.
        hidden_channels (int, optional): Width of the hidden blocks;
            ``in_channels`` by default.
        dropout (float): Dropout of each hidden block. Defaults to 0.
        init_cfg (dict, optional): Initialisation of the linear layers.
        **kwargs: Arguments of mmpretrain's ``ClsHead`` (loss, topk, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_layers: int = 3,
                 hidden_channels: Optional[int] = None,
                 dropout: float = 0.,
                 init_cfg: Optional[dict] = dict(
                     type='TruncNormal', layer='Linear', std=0.02),
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(
                f'num_classes={num_classes} must be a positive integer')
        if (not isinstance(num_layers, int) or isinstance(num_layers, bool)
                or num_layers < 1):
            raise ValueError(
                f'num_layers must be a positive int, got {num_layers!r}')
        if not 0. <= dropout < 1.:
            raise ValueError(f'dropout must be in [0, 1), got {dropout!r}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_layers = num_layers
        hidden_channels = hidden_channels or in_channels
        blocks = []
        channels = in_channels
        for _ in range(num_layers - 1):
            blocks.append(
                nn.Sequential(
                    nn.Linear(channels, hidden_channels),
                    nn.ReLU(inplace=True),
                    nn.BatchNorm1d(hidden_channels), nn.Dropout(dropout)))
            channels = hidden_channels
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(channels, num_classes)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The hidden blocks on the last stage's features."""
        return self.layers(feats[-1])

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Class scores."""
        return self.fc(self.pre_logits(feats))
