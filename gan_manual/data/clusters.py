"""Labels made from the images themselves: k-means clusters of their pixels, for self-conditioning (a conditional
GAN trained on cluster ids instead of class labels; no label of the data set is used)."""

import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor

from gan_manual.errors import ConfigError


class KMeansLabels:
    """Lloyd's k-means on the training images' pixels (scaled to [0, 1], float64), seeded k-means++ start.

    A conditional GAN given these labels generates each cluster by its own conditioning (the labels' help, with
    no labels: Self-Conditioned GAN, Liu et al. 2020, clusters D's features instead; this clusters pixels once,
    before training). Generated labels are drawn from the clusters' sizes, so the samples are the whole data's.
    Memory: the training images as float64, N x C x H x W x 8 bytes, up to three times that at the peak (MNIST
    1.1 GB, CIFAR-10 3.7 GB); a large folder of large images needs fewer or smaller images.

    Args:
        num_clusters: k; the data's ``num_classes`` becomes this.
        iterations: Lloyd iterations (assign, re-centre). On MNIST 30 iterations take about 35 s for k=100 on 2
            CPU threads.
        seed: Seed of the k-means++ start.
    """

    def __init__(self, num_clusters: PositiveInt = 100, iterations: PositiveInt = 30, seed: int = 0) -> None:
        self.num_clusters = num_clusters
        self.iterations = iterations
        self.seed = seed

    def __call__(self, train: Tensor, held_out: Tensor) -> tuple[Tensor, Tensor]:
        """Images uint8 ``(N, C, H, W)`` and ``(M, C, H, W)`` -> the cluster of each, int64 ``(N,)`` and ``(M,)``:
        centres fitted on ``train``, every image labelled by its nearest centre."""
        if self.num_clusters > len(train):
            raise ConfigError(f"data.clusters.num_clusters: {self.num_clusters} clusters of {len(train)} training "
                              f"images; at most {len(train)}")
        points = _flat(train)  # once: a float64 copy of the whole training split
        centres = self.fit(points)
        return nearest(points, centres), nearest(_flat(held_out), centres)

    def fit(self, points: Tensor) -> Tensor:
        """Points ``(N, D)`` -> centres ``(num_clusters, D)``."""
        rng = torch.Generator().manual_seed(self.seed)
        # k-means++: each next centre drawn with probability proportional to the squared distance to the nearest.
        centres = [points[torch.randint(len(points), (1,), generator=rng)].squeeze(0)]
        distance = ((points - centres[0]) ** 2).sum(1)
        for _ in range(1, self.num_clusters):
            pick = torch.multinomial(distance / distance.sum(), 1, generator=rng)
            centres.append(points[pick].squeeze(0))
            distance = torch.minimum(distance, ((points - centres[-1]) ** 2).sum(1))
        centre = torch.stack(centres)
        for _ in range(self.iterations):
            assigned = nearest(points, centre)
            counts = torch.bincount(assigned, minlength=self.num_clusters).to(points)
            sums = torch.zeros_like(centre).index_add_(0, assigned, points)
            centre = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centre)  # empty: stays
        return centre


def nearest(points: Tensor, centres: Tensor) -> Tensor:
    """Index ``(N,)`` of the nearest of ``centres`` ``(K, D)`` to each of ``points`` ``(N, D)``."""
    return ((points * points).sum(1, keepdim=True) - 2 * points @ centres.T + (centres * centres).sum(1)).argmin(1)


def _flat(images: Tensor) -> Tensor:
    return images.reshape(len(images), -1).double() / 255
