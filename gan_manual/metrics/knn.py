"""k-nearest-neighbour precision and recall of generative models (Kynkäänniemi et al. 2019)."""

import torch
from torch import Tensor


def kth_neighbour_radii(features: Tensor, k: int, chunk: int = 2048) -> Tensor:
    """Distance of each row of ``features`` ``(N, D)`` to its k-th nearest other row: ``(N,)``."""
    radii = []
    for block in features.split(chunk):
        distances = torch.cdist(block, features)
        radii.append(distances.kthvalue(k + 1, dim=1).values)  # the 1st nearest is the point itself
    return torch.cat(radii)


def coverage_of(points: Tensor, centres: Tensor, radii: Tensor, chunk: int = 2048) -> float:
    """Share of ``points`` that fall inside at least one ball ``(centres[i], radii[i])``."""
    inside = []
    for block in points.split(chunk):
        distances = torch.cdist(block, centres)
        inside.append((distances <= radii).any(dim=1))
    return torch.cat(inside).double().mean().item()


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> tuple[float, float]:
    """Precision: share of fakes inside the real manifold (union of k-NN balls around real features); recall:
    share of reals inside the fake manifold. ``real`` ``(N, D)``, ``fake`` ``(M, D)``."""
    precision = coverage_of(fake, real, kth_neighbour_radii(real, k))
    recall = coverage_of(real, fake, kth_neighbour_radii(fake, k))
    return precision, recall
