"""A diagram of where prompts go, drawn from the models themselves: what
``tools/analysis/draw_prompts.py`` calls.

For each variant (VPT-shallow, VPT-deep as tokens, VPT-deep as key/value
prefixes) a small :class:`~vpt_mm.models.backbones.PromptedViT` is built
and its :attr:`layer_plan` read: what the sequence entering every layer
holds (:func:`layer_rows`), drawn bottom-up, one panel per variant.

API::

    rows = layer_rows(model)        # per layer: tokens in, prefix tokens
    draw_prompt_diagram('docs/images/prompts.png')
"""
import math
from typing import Dict, List, NamedTuple, Tuple

from torch import nn

from vpt_mm.models.backbones import PromptedViT

#: the variants drawn: name -> prompt_cfg
VARIANTS: Dict[str, dict] = {
    'VPT-shallow': dict(deep=False),
    "VPT-deep, deep_mode='token'": dict(deep=True, deep_mode='token'),
    "VPT-deep, deep_mode='prefix'\n(the default)": dict(
        deep=True, deep_mode='prefix'),
}
_COLOURS = dict(cls='#9e9e9e', new='#ef8a17', carried='#f6d2a8',
                patch='#4c78a8')


class LayerRow(NamedTuple):
    """The sequence entering one layer: ``tokens`` (``'cls'``, ``'new'``:
    this layer's own prompts, ``'carried'``: the previous layer's prompt
    outputs, ``'patch'``) and how many prompts the layer's attention sees
    as extra keys and values only (``prefix``)."""

    tokens: Tuple[str, ...]
    prefix: int


def build_variant(prompt_cfg: dict, num_layers: int = 4,
                  num_tokens: int = 2) -> nn.Module:
    """A tiny PromptedViT (32 px, 4 patches) with ``prompt_cfg``."""
    return PromptedViT(
        img_size=32, patch_size=16,
        arch=dict(embed_dims=8, num_layers=num_layers, num_heads=1,
                  feedforward_channels=8),
        prompt_cfg=dict(prompt_cfg, num_tokens=num_tokens))


def layer_rows(model: nn.Module) -> List[LayerRow]:
    """What the sequence entering each layer of ``model`` holds, from its
    :attr:`layer_plan`."""
    num_tokens = model.prompt_cfg['num_tokens']
    patches = ('patch', ) * math.prod(model.patch_resolution)
    rows = []
    for step in model.layer_plan:
        prompts: Tuple[str, ...] = ()
        if step.mode == 'token':
            prompts = ('new', ) * num_tokens
        elif step.holds_in:
            prompts = ('carried', ) * num_tokens
        rows.append(LayerRow(('cls', ) + prompts + patches,
                             num_tokens if step.mode == 'prefix' else 0))
    return rows


def _draw_panel(ax, title: str, rows: List[LayerRow]) -> None:
    from matplotlib.patches import FancyArrowPatch, Rectangle
    width = max(len(row.tokens) for row in rows) + 3
    for i, row in enumerate(rows):
        y = 2 * i
        ax.add_patch(Rectangle((2.6, y + 0.85), width - 2.6, 0.8,
                               facecolor='#e8e8e8', edgecolor='#555'))
        ax.text(2.6 + (width - 2.6) / 2, y + 1.25, f'frozen layer {i}',
                ha='center', va='center', fontsize=8)
        for j, token in enumerate(row.tokens):
            ax.add_patch(Rectangle((3 + j, y), 0.8, 0.6,
                                   facecolor=_COLOURS[token],
                                   edgecolor='black', linewidth=0.5))
        for j in range(row.prefix):
            ax.add_patch(Rectangle((0.1 + j * 0.9, y + 0.9), 0.8, 0.6,
                                   facecolor=_COLOURS['new'],
                                   edgecolor='black', linewidth=0.5))
        if row.prefix:
            ax.add_patch(FancyArrowPatch((0.1 + row.prefix * 0.9, y + 1.2),
                                         (2.6, y + 1.2), arrowstyle='->',
                                         mutation_scale=8))
            ax.text(0.1, y + 0.55, 'K, V only', fontsize=6.5)
    ax.text(3, 2 * len(rows) + 0.1, '→ head (CLS)', fontsize=8)
    ax.set_xlim(0, width + 0.2)
    ax.set_ylim(-0.4, 2 * len(rows) + 0.8)
    ax.set_title(title, fontsize=9)
    ax.axis('off')


def draw_prompt_diagram(path: str, num_layers: int = 4,
                        num_tokens: int = 2) -> Dict[str, List[LayerRow]]:
    """Draw every variant of :data:`VARIANTS` side by side into ``path``
    (PNG); returns the rows drawn per variant."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    drawn = {
        name: layer_rows(build_variant(cfg, num_layers, num_tokens))
        for name, cfg in VARIANTS.items()
    }
    fig, axes = plt.subplots(1, len(drawn), figsize=(11, 4.2))
    for ax, (name, rows) in zip(axes, drawn.items()):
        _draw_panel(ax, name, rows)
    legend = [('cls', 'CLS token'), ('new', "the layer's own prompts"),
              ('carried', "previous layer's prompt outputs"),
              ('patch', 'patch tokens')]
    fig.legend(handles=[Patch(facecolor=_COLOURS[key], edgecolor='black',
                              label=label) for key, label in legend],
               loc='lower center', ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return drawn
