"""The methods of Tab. 12 and how each classifier is built: Full
fine-tuning of mmpretrain's ``VisionTransformer``, Linear = a frozen
:class:`PromptedViT` with ``p=0``, the paper's other baselines as the
configs build them (Partial-1, Mlp-3, Sidetune, Bias and Adapter with
r = 8, 64, 256), VPT-shallow, VPT-deep in the token form and VPT-deep in
the key/value prefix form; each with a linear head (Mlp-3: its MLP head).
"""
from typing import Optional

import torch
from torch import nn

METHODS = {
    'full': 'Full',
    'linear': 'Linear',
    'partial-1': 'Partial-1',
    'mlp-3': 'Mlp-3',
    'sidetune': 'Sidetune',
    'bias': 'Bias',
    'adapter-r8': 'Adapter (r=8)',
    'adapter-r64': 'Adapter (r=64)',
    'adapter-r256': 'Adapter (r=256)',
    'vpt-shallow': 'VPT-shallow',
    'vpt-deep-token': 'VPT-deep (token)',
    'vpt-deep-prefix': 'VPT-deep (prefix)',
}
PROMPTED = ('vpt-shallow', 'vpt-deep-token', 'vpt-deep-prefix')
# quick runs; other names are mmpretrain's ('b', 'base', 'l', ...)
ARCHS = {
    'tiny':
    dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
}
NUM_CLASSES = 100

class Classifier(nn.Module):
    """Backbone and a head on its last output (the CLS token): a linear
    layer, or any module taking the backbone's tuple of outputs (Mlp-k)."""

    def __init__(self,
                 backbone: nn.Module,
                 num_classes: int,
                 head: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.head_takes_tuple = head is not None
        self.head = head or nn.Linear(backbone.embed_dims, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = self.backbone(x)
        return self.head(outs if self.head_takes_tuple else outs[-1])


def build_model(method: str,
                arch: str = 'b',
                img_size: int = 224,
                num_tokens: int = 0,
                patch_size: int = 16,
                num_classes: int = NUM_CLASSES) -> Classifier:
    """The classifier of ``method`` (a key of :data:`METHODS`); randomly
    initialised, as latency and memory do not depend on the weights. The
    baselines are the configs' structural wrappers (``vpt_mm.models.peft``)
    around mmpretrain's ``VisionTransformer`` and the ``MlpClsHead``."""
    from mmpretrain.models.backbones import VisionTransformer

    from vpt_mm.models.backbones import PromptedViT
    from vpt_mm.models.heads import MlpClsHead
    from vpt_mm.models.peft import (AdapterTuning, BiasTuning,
                                    PartialTuning, SideTuning)
    if method not in METHODS:
        raise ValueError(f'unknown method {method!r}; choose from '
                         f'{list(METHODS)}')
    common = dict(
        arch=ARCHS.get(arch, arch),
        img_size=img_size,
        patch_size=patch_size,
        out_type='cls_token')
    wrappers = {
        'partial-1': lambda m: PartialTuning(m, num_blocks=1),
        'sidetune': SideTuning,
        'bias': BiasTuning,
        'adapter-r8': lambda m: AdapterTuning(m, reduction=8),
        'adapter-r64': lambda m: AdapterTuning(m, reduction=64),
        'adapter-r256': lambda m: AdapterTuning(m, reduction=256),
    }
    if method == 'full':
        backbone = VisionTransformer(**common)
    elif method in wrappers:
        backbone = wrappers[method](VisionTransformer(**common))
    elif method == 'mlp-3':
        backbone = PromptedViT(**common)
        head = MlpClsHead(
            num_classes=num_classes,
            in_channels=backbone.embed_dims,
            num_layers=3)
        return Classifier(backbone, num_classes, head)
    else:
        if method != 'linear' and num_tokens <= 0:
            raise ValueError(f'{method} needs a prompt length > 0')
        backbone = PromptedViT(
            prompt_cfg=dict(
                num_tokens=0 if method == 'linear' else num_tokens,
                deep=method.startswith('vpt-deep'),
                deep_mode='prefix' if method.endswith('prefix') else 'token'),
            **common)
    return Classifier(backbone, num_classes)
