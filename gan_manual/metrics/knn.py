"""k-nearest-neighbour measures of generative models: precision and recall (Kynkäänniemi et al. 2019), density and
coverage (Naeem et al. 2020). Features are rows, ``(N, D)``."""

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


def density_coverage(real: Tensor, fake: Tensor, k: int = 5, chunk: int = 2048) -> tuple[float, float]:
    """Density: how many real k-NN balls hold each fake, on average, over k (1 where fakes sit as the reals do;
    above 1 where they crowd the dense regions); coverage: share of real balls that hold at least one fake. Unlike
    precision and recall, both rest on real balls only, so outlying fakes cannot inflate them.
    ``real`` ``(N, D)``, ``fake`` ``(M, D)``."""
    radii = kth_neighbour_radii(real, k)
    held = torch.zeros(len(real), dtype=torch.bool)
    inside = 0
    for block in fake.split(chunk):
        within = torch.cdist(block, real) <= radii  # (m, N): fake j in the ball of real i
        inside += int(within.sum())
        held |= within.any(dim=0)
    return inside / (k * len(fake)), held.double().mean().item()
