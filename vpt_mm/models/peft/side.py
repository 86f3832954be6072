"""Side-tuning: a small side network blended with the frozen features."""
from typing import Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from vpt_mm.registry import register_backbone
from .base import PEFTWrapper
from .structure import feature_dims_of

# torchvision's AlexNet ``features`` (same layout and indices, so that its
# weights load with prefix ``features.``): (out, kernel, stride, padding,
# max-pool after)
ALEXNET_CONVS = ((64, 11, 4, 2, True), (192, 5, 1, 2, True),
                 (384, 3, 1, 1, False), (256, 3, 1, 1, False),
                 (256, 3, 1, 1, True))


class AlexNetSide(BaseModule):
    """AlexNet's convolutional features, adaptive average pooling to
    ``pool_size`` and a linear layer to ``out_channels``.

    Args:
        out_channels (int): The backbone's feature width d.
        in_channels (int): Image channels. Defaults to 3.
        widths (Sequence[int]): The five convolutions' widths; AlexNet's
            by default.
        pool_size (int): Pooled size before the linear layer. Defaults to
            6 (AlexNet: 256 x 6 x 6 = 9216 inputs).
        init_cfg (dict, optional): E.g. ``dict(type='Pretrained',
            checkpoint='alexnet.pth')`` with torchvision's keys.
    """

    def __init__(self,
                 out_channels: int,
                 in_channels: int = 3,
                 widths: Sequence[int] = (64, 192, 384, 256, 256),
                 pool_size: int = 6,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(widths) != len(ALEXNET_CONVS):
            raise ValueError(f'widths must list {len(ALEXNET_CONVS)} conv '
                             f'widths, got {list(widths)}')
        layers = []
        channels = in_channels
        for width, (_, kernel, stride, padding, pool) in zip(
                widths, ALEXNET_CONVS):
            layers += [
                nn.Conv2d(channels, width, kernel, stride, padding),
                nn.ReLU(inplace=True)
            ]
            if pool:
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            channels = width
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(pool_size)
        self.fc = nn.Linear(channels * pool_size * pool_size, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.fc(torch.flatten(x, 1))


@register_backbone
class SideTuning(PEFTWrapper):
    """Side-tuning: ``sigmoid(a) * backbone(x) + (1 - sigmoid(a)) *
    side(x)`` on the backbone's last output, ``a`` a learnt scalar
    initialised to 0; the backbone is frozen.

    The last output may be a feature vector ``(B, d)`` (``cls_token``,
    ConvNeXt's pooled output) or a map ``(B, d, H, W)``, to which the side
    vector is added at every position (for a global-average-pooling neck
    this equals blending the pooled features).

    Args:
        module (dict | nn.Module): The backbone.
        side_cfg (dict, optional): Arguments of :class:`AlexNetSide`
            (``out_channels`` defaults to the backbone's width).
        init_cfg (dict, optional): Initialisation of the wrapper.
    """

    def __init__(self,
                 module: Union[dict, nn.Module],
                 side_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(module, init_cfg=init_cfg)
        side_cfg = dict(side_cfg or {})
        side_cfg.setdefault('out_channels', feature_dims_of(self.module))
        self.side_network = AlexNetSide(**side_cfg)
        self.side_alpha = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = tuple(self.module(x))
        features = outs[-1]
        side = self.side_network(x)
        if features.dim() == 4:
            side = side[:, :, None, None]
        elif features.dim() != 2:
            raise ValueError(
                'SideTuning blends (B, C) or (B, C, H, W) outputs; the '
                f'backbone returned {tuple(features.shape)}')
        if features.shape[1] != side.shape[1]:
            raise ValueError(
                f'SideTuning: the backbone has {features.shape[1]} output '
                f'channels, the side network {side.shape[1]} '
                '(side_cfg.out_channels)')
        weight = torch.sigmoid(self.side_alpha)
        return outs[:-1] + (weight * features + (1 - weight) * side, )
