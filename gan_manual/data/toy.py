"""2D Gaussian mixtures (VEEGAN/PacGAN's ring and grid): no download, trains in seconds, shows mode collapse."""

import math
from typing import Any

import torch
from jsonargparse.typing import PositiveFloat, PositiveInt
from torch import Tensor

from gan_manual.data.base import InMemoryDataModule


class GaussianMixtureDataModule(InMemoryDataModule):
    """Samples drawn once, from the seed, around ``centers()`` with isotropic ``std``.

    Batches are ``(points, modes)``: points ``(B, 2)`` float, modes ``(B,)`` int64 (index of the centre).

    Args:
        std: Standard deviation of every component.
        num_samples: Training points; a further tenth is drawn for validation/test.
        batch_size: Points per training batch (points are cheap: larger than the images' default).
        **kwargs: ``seed``: as in :class:`InMemoryDataModule`.
    """

    data_shape = (2,)
    num_shown = 2500  # a scatter needs many points to show the modes' shapes

    def __init__(
        self,
        std: PositiveFloat = 0.05,
        num_samples: PositiveInt = 100_000,
        batch_size: PositiveInt = 256,
        **kwargs: Any,
    ) -> None:
        super().__init__(batch_size=batch_size, **kwargs)
        self.std = std
        self.num_samples = num_samples

    def centers(self) -> Tensor:
        """The mixture's means, ``(K, 2)``."""
        raise NotImplementedError

    @property
    def num_classes(self) -> int:  # type: ignore[override]  # the label of a point is its component
        return len(self.centers())

    def setup(self, stage: str) -> None:
        if not self.train_tensors:
            rng = torch.Generator().manual_seed(self.resolved_seed())
            self.train_tensors = self._draw(self.num_samples, rng)
            self.eval_tensors = self._draw(max(1, self.num_samples // 10), rng)

    def _draw(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        centers = self.centers()
        modes = torch.randint(len(centers), (n,), generator=rng)
        points = centers[modes] + self.std * torch.randn(n, 2, generator=rng)
        return points, modes


class RingDataModule(GaussianMixtureDataModule):
    """``num_modes`` Gaussians evenly spaced on a circle (VEEGAN and PacGAN: 8 modes, radius 1, std 0.01).

    Args:
        num_modes: Components; angles are 2*pi*k/num_modes for k < num_modes, all distinct.
        radius: Radius of the circle.
        std: Standard deviation of every component.
        **kwargs: ``num_samples``, ``batch_size``, ``seed``: as in :class:`GaussianMixtureDataModule`.
    """

    def __init__(
        self,
        num_modes: PositiveInt = 8,
        radius: PositiveFloat = 1.0,
        std: PositiveFloat = 0.01,
        **kwargs: Any,
    ) -> None:
        super().__init__(std=std, **kwargs)
        self.num_modes = num_modes
        self.radius = radius

    def centers(self) -> Tensor:
        # arange, not linspace(0, 2*pi, n): linspace repeats the first angle at 2*pi and loses a mode.
        angles = torch.arange(self.num_modes) * (2 * math.pi / self.num_modes)
        return self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)


class GridDataModule(GaussianMixtureDataModule):
    """``side`` x ``side`` Gaussians on a square grid centred at 0 (PacGAN: 5 x 5 at {-4, -2, 0, 2, 4}, std 0.05).

    Args:
        side: Components per row and column.
        spacing: Distance between neighbouring centres.
        **kwargs: ``std``, ``num_samples``, ``batch_size``, ``seed``: as in :class:`GaussianMixtureDataModule`.
    """

    def __init__(
        self,
        side: PositiveInt = 5,
        spacing: PositiveFloat = 2.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.side = side
        self.spacing = spacing

    def centers(self) -> Tensor:
        axis = (torch.arange(self.side) - (self.side - 1) / 2) * self.spacing
        return torch.cartesian_prod(axis, axis)
