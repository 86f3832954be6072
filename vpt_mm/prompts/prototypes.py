"""CLS prototypes for ``prompt_cfg.init='cls-prototype'`` (Fig. 13).

The per-class mean of the final CLS embeddings of the frozen pretrained
backbone over a training set; with more than ``max_prototypes`` classes the
means are clustered by k-means to ``max_prototypes`` centroids (the paper
uses 200). The prompt length is then the number of prototypes.
"""
from typing import Iterable, Tuple

import torch


def kmeans(points: torch.Tensor, num_clusters: int, iters: int = 100,
           seed: int = 0) -> torch.Tensor:
    """Lloyd's k-means with k-means++ seeding, deterministic for a seed.

    Args:
        points (torch.Tensor): ``(n, d)``, ``n >= num_clusters``.
        num_clusters (int): k.
        iters (int): At most this many assignment/update rounds.
        seed (int): Seed of the k-means++ draws.

    Returns:
        torch.Tensor: Centroids ``(k, d)``; an emptied cluster is reseeded
        at the point farthest from its centroid.
    """
    points = points.double()
    num_points = points.shape[0]
    if not 0 < num_clusters <= num_points:
        raise ValueError(f'kmeans: need 0 < k <= {num_points} points, got '
                         f'k={num_clusters}')
    generator = torch.Generator().manual_seed(seed)
    first = torch.randint(num_points, (1, ), generator=generator)
    centroids = points[first]
    for _ in range(1, num_clusters):
        distance = torch.cdist(points, centroids).min(dim=1).values ** 2
        if distance.sum() == 0:
            pick = torch.randint(num_points, (1, ), generator=generator)
        else:
            pick = torch.multinomial(distance, 1, generator=generator)
        centroids = torch.cat((centroids, points[pick]))
    for _ in range(iters):
        distance = torch.cdist(points, centroids)
        assignment = distance.argmin(dim=1)
        updated = centroids.clone()
        for cluster in range(num_clusters):
            members = points[assignment == cluster]
            if len(members):
                updated[cluster] = members.mean(dim=0)
            else:
                updated[cluster] = points[distance.min(dim=1).values.argmax()]
        if torch.equal(updated, centroids):
            break
        centroids = updated
    return centroids.float()


def class_means(features: Iterable[Tuple[torch.Tensor, torch.Tensor]],
                num_classes: int) -> torch.Tensor:
    """Per-class means ``(num_classes, d)`` of ``(features (B, d), labels
    (B, ))`` batches.

    Raises:
        ValueError: When a class has no sample (its prototype is
            undefined).
    """
    sums, counts = None, torch.zeros(num_classes, dtype=torch.float64)
    for feats, labels in features:
        feats = feats.double()
        if sums is None:
            sums = torch.zeros(num_classes, feats.shape[1],
                               dtype=torch.float64)
        sums.index_add_(0, labels, feats)
        counts += torch.bincount(labels, minlength=num_classes).double()
    if sums is None:
        raise ValueError('class_means: no samples')
    empty = (counts == 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f'class_means: classes {empty[:10]} have no '
                         'training sample')
    return (sums / counts[:, None]).float()


def cls_prototypes(means: torch.Tensor,
                   max_prototypes: int = 200) -> torch.Tensor:
    """The class means, or their ``max_prototypes`` k-means centroids when
    there are more classes."""
    if means.shape[0] <= max_prototypes:
        return means
    return kmeans(means, max_prototypes)
