"""Pictures of samples, as ``(3, H, W)`` float images in [0, 1]: what the sample callbacks log and save, and what
``predict``, ``python -m gan_manual sample`` and a study's cells write."""

from typing import Optional

import torch
from torch import Tensor
from torchvision.utils import make_grid

from gan_manual.errors import ConfigError


def image_grid(images: Tensor, nrow: int = 8) -> Tensor:
    """Images ``(N, C, H, W)`` in [-1, 1] on a grid of ``nrow`` columns."""
    return make_grid(images, nrow=nrow, normalize=True, value_range=(-1, 1))


def class_rows(num_samples: int, nrow: int, num_classes: int) -> Tensor:
    """Labels ``(num_samples,)`` for a grid of ``nrow`` columns with one class per row: row r is class r modulo
    ``num_classes``."""
    return torch.arange(num_samples) // nrow % num_classes


def _mask(points: Tensor, extent: float, size: int) -> Tensor:
    """Points ``(N, 2)`` -> ``(size, size)`` bool, True where a point falls; y grows upwards."""
    pixel = ((points + extent) / (2 * extent) * (size - 1)).round().long()
    pixel = pixel[((pixel >= 0) & (pixel < size)).all(1)]
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[size - 1 - pixel[:, 1], pixel[:, 0]] = True
    return mask


def scatter(points: Tensor, extent: float, size: int = 256, background: Optional[Tensor] = None) -> Tensor:
    """2D ``points`` ``(N, 2)`` in red over ``background`` points (grey, real data, optional) in the square
    [-extent, extent]^2, ``size`` pixels wide."""
    image = torch.ones(3, size, size)
    if background is not None and len(background):
        image[:, _mask(background, extent, size)] = 0.7
    image[:, _mask(points, extent, size)] = torch.tensor([0.85, 0.1, 0.1]).unsqueeze(1)
    return image


def picture(samples: Tensor, real: Optional[Tensor] = None) -> Tensor:
    """What ``sample``, ``predict`` and a study's cells draw: images -> the first 100 on a 10-column grid; 2D
    points -> a scatter of all of them, over the ``real`` points (grey) if given, in a square 10% wider than the
    real points (else than the samples, and at least [-1.1, 1.1])."""
    if samples.dim() == 4:
        return image_grid(samples[:100], nrow=10)
    if samples.dim() == 2 and samples.shape[1] == 2:
        framed = samples if real is None else real
        return scatter(samples, extent=float(framed.abs().max().clamp(min=1.0)) * 1.1, background=real)
    raise ConfigError(f"samples of shape {tuple(samples.shape[1:])} are neither images nor 2D points: no picture")
