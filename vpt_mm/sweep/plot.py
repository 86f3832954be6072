"""The grid's heat map (cf. the paper's Fig. 17) as a PNG file.

matplotlib and numpy are imported only when a map is drawn."""
import os
import os.path as osp
import struct
from typing import Optional, Sequence, Tuple

from .spec import format_number

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def plot_grid(lrs: Sequence[float],
              wds: Sequence[float],
              values: Sequence[Sequence[Optional[float]]],
              path: str,
              best: Optional[Tuple[float, float]] = None,
              title: str = '') -> str:
    """Write the lr x wd grid's val top-1 as a heat map (cf. the paper's
    Fig. 17), with matplotlib's Agg canvas (no display needed, the global
    backend untouched).

    Args:
        lrs (Sequence[float]): Base lrs, one row each.
        wds (Sequence[float]): Weight decays, one column each.
        values: ``values[i][j]`` for ``lrs[i]``, ``wds[j]``; ``None`` for a
            missing point (grey, ``-``).
        path (str): Output ``.png``.
        best (tuple, optional): ``(base_lr, weight_decay)`` to outline.
        title (str): Figure title.

    Returns:
        str: ``path``.
    """
    return plot_grids(lrs, wds, [('', values, best)], path, title)


def plot_grids(lrs: Sequence[float],
               wds: Sequence[float],
               panels: Sequence[Tuple[str, Sequence[Sequence[Optional[float]]],
                                      Optional[Tuple[float, float]]]],
               path: str,
               title: str = '') -> str:
    """Write several lr x wd heat maps side by side (at most three per
    row) on one colour scale, e.g. one per prompt length.

    Args:
        lrs (Sequence[float]): Base lrs, one row of each panel each.
        wds (Sequence[float]): Weight decays, one column each.
        panels: ``(panel title, values, best)`` each, with ``values`` and
            ``best`` as in :func:`plot_grid`.
        path (str): Output ``.png``.
        title (str): Figure title.

    Returns:
        str: ``path``.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    grids = [
        np.array([[np.nan if value is None else float(value)
                   for value in row] for row in values], dtype=float)
        for _, values, _ in panels
    ]
    finite = np.concatenate([grid[np.isfinite(grid)] for grid in grids])
    low, high = (finite.min(), finite.max()) if finite.size else (0., 1.)
    middle = (low + high) / 2
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    figure = Figure(
        figsize=(1.0 + columns * (1.2 + 1.0 * len(wds)),
                 0.4 + rows * (1.2 + 0.45 * len(lrs))),
        layout='constrained')
    FigureCanvasAgg(figure)
    try:
        from matplotlib import colormaps
        cmap = colormaps['viridis']
    except ImportError:  # matplotlib < 3.5
        from matplotlib import cm
        cmap = cm.get_cmap('viridis')
    cmap = cmap.with_extremes(bad='0.85')
    all_axes = []
    for index, ((name, _, best), grid) in enumerate(zip(panels, grids)):
        axes = figure.add_subplot(rows, columns, index + 1)
        all_axes.append(axes)
        image = axes.imshow(np.ma.masked_invalid(grid), cmap=cmap,
                            vmin=low, vmax=high, aspect='auto')
        for i in range(len(lrs)):
            for j in range(len(wds)):
                value = grid[i, j]
                text = '-' if np.isnan(value) else f'{value:.1f}'
                colour = 'black' if np.isnan(value) or value > middle \
                    else 'white'
                axes.text(j, i, text, ha='center', va='center',
                          color=colour, fontsize=8)
        if best is not None and best[0] in lrs and best[1] in wds:
            i, j = list(lrs).index(best[0]), list(wds).index(best[1])
            axes.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                     edgecolor='red', linewidth=2))
        axes.set_xticks(range(len(wds)))
        axes.set_xticklabels([format_number(wd) for wd in wds])
        axes.set_yticks(range(len(lrs)))
        axes.set_yticklabels([format_number(lr) for lr in lrs])
        axes.set_xlabel('weight decay')
        axes.set_ylabel('base lr')
        if name:
            axes.set_title(name, fontsize=9)
    if title:
        figure.suptitle(title, fontsize=9)
    if finite.size:
        figure.colorbar(image, ax=all_axes, label='val top-1 (%)')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def png_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of a PNG file; ``ValueError`` if it is none."""
    with open(path, 'rb') as file:
        head = file.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b'IHDR':
        raise ValueError(f'{path} is not a PNG file')
    return struct.unpack('>II', head[16:24])
