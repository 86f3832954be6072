"""A t-SNE of the final features of several runs of one task, side by side
(cf. the paper's Fig. 10): what ``tools/analysis/tsne.py`` calls.

API::

    runs = [Run('Linear', 'linear.py', 'linear/epoch_20.pth'),
            Run('VPT-deep', 'vpt.py', 'vpt/epoch_20.delta.safetensors')]
    panels = tsne_runs(runs, max_samples=500)   # features, 2-D points
    plot_tsne(panels, 'tsne.png')               # one figure, one panel each

The features are the model's final ones (``extract_feat``: the backbone's,
or the neck's, last output, e.g. the final [CLS] token) on the images of
each config's test set; every run must see the same images with the same
labels. The 2-D points come from scikit-learn's ``TSNE`` (the ``tsne``
extra); each panel's title also gives the silhouette score of the
features (higher: classes better separated).
"""
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, DefaultScope

from .infer import Predictor

#: t-SNEs of at most this many points run on one thread (see :func:`embed`)
SINGLE_THREAD_POINTS = 2000


class Run(NamedTuple):
    """One run: a name for its panel, its config and its checkpoint (a
    ``.pth`` or a delta on the config's pretrained backbone)."""

    name: str
    config: str
    checkpoint: str


class Panel(NamedTuple):
    """One run's features ``(N, D)``, labels ``(N,)``, t-SNE points
    ``(N, 2)`` and the features' silhouette score."""

    name: str
    features: np.ndarray
    labels: np.ndarray
    points: np.ndarray
    silhouette: float


def _sklearn():
    try:
        import sklearn.manifold
        import sklearn.metrics
    except ImportError as error:
        raise ImportError(
            "t-SNE needs scikit-learn: pip install 'vpt_mm[tsne]' (or "
            'scikit-learn)') from error
    return sklearn


def _test_set(cfg: Config, max_samples: Optional[int]):
    """The config's test dataset, ``max_samples`` images spread evenly
    over it (all classes of a class-sorted list)."""
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    if max_samples is not None and max_samples < len(dataset):
        indices = np.unique(
            np.linspace(0, len(dataset) - 1, max_samples).round().astype(int))
        dataset = torch.utils.data.Subset(dataset, indices.tolist())
    return dataset


@torch.no_grad()
def extract_features(run: Run,
                     max_samples: Optional[int] = None,
                     batch_size: int = 32,
                     device: Optional[str] = None) -> tuple:
    """The final features and labels of ``run`` on its config's test set.

    Returns:
        tuple: ``features`` ``(N, D)`` float32 and ``labels`` ``(N,)``
        int64, numpy arrays.

    Raises:
        FileNotFoundError: The config or the checkpoint does not exist.
    """
    if not osp.isfile(run.config):
        raise FileNotFoundError(f'run {run.name}: no config at {run.config}')
    cfg = Config.fromfile(run.config)
    model = Predictor(cfg, run.checkpoint, device).model
    dataset = _test_set(cfg, max_samples)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, collate_fn=pseudo_collate)
    features, labels = [], []
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            feats = model.extract_feat(data['inputs'])
            feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
            features.append(feat.flatten(1).float().cpu())
            labels += [int(s.gt_label[0]) for s in data['data_samples']]
    return torch.cat(features).numpy(), np.asarray(labels, dtype=np.int64)


def embed(features: np.ndarray,
          perplexity: float = 30.0,
          seed: int = 0) -> np.ndarray:
    """2-D t-SNE points of ``features`` (PCA initialisation; the
    perplexity is capped below a third of the number of points).

    Up to :data:`SINGLE_THREAD_POINTS` points it runs on one thread: there
    OpenMP's threads cost more than they give (a 16-point t-SNE took 9 s
    with the default threads on a loaded 2-core machine, 0.4 s with one).
    """
    sklearn = _sklearn()
    from threadpoolctl import threadpool_limits
    perplexity = min(perplexity, max((len(features) - 1) / 3, 1.0))
    tsne = sklearn.manifold.TSNE(
        n_components=2, perplexity=perplexity, init='pca', random_state=seed)
    if len(features) > SINGLE_THREAD_POINTS:
        return tsne.fit_transform(features)
    with threadpool_limits(1):
        return tsne.fit_transform(features)


def tsne_runs(runs: Sequence[Run],
              max_samples: Optional[int] = 500,
              perplexity: float = 30.0,
              seed: int = 0,
              device: Optional[str] = None) -> List[Panel]:
    """:func:`extract_features` and :func:`embed` of every run.

    Raises:
        ValueError: No run, a repeated name, or a run whose test images'
            labels differ from the first run's (another task).
    """
    if not runs:
        raise ValueError('runs: give at least one run')
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f'runs: repeated names in {names}')
    sklearn = _sklearn()
    panels, first = [], None
    for run in runs:
        features, labels = extract_features(run, max_samples, device=device)
        if first is None:
            first = (run.name, labels)
        elif not np.array_equal(labels, first[1]):
            raise ValueError(
                f'run {run.name}: its test set ({len(labels)} images) has '
                f'other labels than run {first[0]} ({len(first[1])} '
                'images): the runs must be of one task')
        score = float(sklearn.metrics.silhouette_score(features, labels)) \
            if 1 < len(set(labels.tolist())) < len(labels) else 0.0
        panels.append(Panel(run.name, features, labels,
                            embed(features, perplexity, seed), score))
    return panels


def plot_tsne(panels: Sequence[Panel],
              path: str,
              classes: Optional[Dict[int, str]] = None) -> None:
    """One figure, one panel per run, points coloured by class.

    Args:
        panels (Sequence[Panel]): From :func:`tsne_runs`.
        path (str): The image file to write (PNG).
        classes (dict, optional): Class names by label, for the legend.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4),
                             squeeze=False)
    labels = sorted(set(panels[0].labels.tolist()))
    cmap = plt.get_cmap('tab10' if len(labels) <= 10 else 'tab20')
    for ax, panel in zip(axes[0], panels):
        for i, label in enumerate(labels):
            mask = panel.labels == label
            ax.scatter(panel.points[mask, 0], panel.points[mask, 1], s=4,
                       color=cmap(i % cmap.N),
                       label=(classes or {}).get(label, str(label)))
        ax.set_title(f'{panel.name}\nsilhouette {panel.silhouette:.2f}',
                     fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if len(labels) <= 20:
        fig.legend(*axes[0][0].get_legend_handles_labels(), loc='lower '
                   'center', ncol=min(len(labels), 10), markerscale=3,
                   fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.08 * ((len(labels) + 9) // 10), 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
