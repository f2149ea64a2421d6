"""Mode metrics on 2D Gaussian mixtures, by the protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et
al. 2018): a sample is high-quality within 3 standard deviations of its nearest mode; a mode is captured when at
least one high-quality sample is nearest to it; and the KL divergence from the mode histogram of the
high-quality samples to the uniform one (PacGAN's "reverse KL")."""

from typing import Optional

import lightning as L
import torch
from torch import Tensor

from gan_manual.errors import ConfigError
from gan_manual.metrics.base import SampleMetric, kl_to_uniform


def mode_metrics(samples: Tensor, centers: Tensor, std: float, threshold: float = 3.0) -> dict[str, float]:
    """``samples`` ``(N, 2)``, ``centers`` ``(K, 2)`` -> modes captured, high-quality percent, reverse KL."""
    distances = torch.cdist(samples.double(), centers.double())
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= threshold * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    return {
        "modes": float((counts > 0).sum()),
        "hq_percent": 100.0 * good.double().mean().item(),
        "reverse_kl": kl_to_uniform(counts),
    }


class ModeMetrics(SampleMetric):
    """:func:`mode_metrics` against a Gaussian-mixture datamodule's ``centers()`` and ``std``.

    Args:
        threshold: High quality within this many standard deviations (the papers' 3).
    """

    def __init__(self, threshold: float = 3.0) -> None:
        self.threshold = threshold
        self.centers: Tensor = torch.empty(0, 2)
        self.std = 1.0

    def check(self, datamodule: L.LightningDataModule) -> None:
        if not hasattr(datamodule, "centers"):
            raise ConfigError(f"trainer.callbacks: ModeMetrics needs a Gaussian-mixture datamodule (RingDataModule, "
                              f"GridDataModule), not {type(datamodule).__name__}")

    def setup(self, datamodule: L.LightningDataModule) -> None:
        super().setup(datamodule)
        self.centers, self.std = datamodule.centers(), datamodule.std

    def names(self, conditional: bool = False) -> tuple[str, ...]:
        return ("modes", "hq_percent", "reverse_kl")

    def describe(self, num_samples: int) -> str:
        return (f"{num_samples} samples; {len(self.centers)} modes, std {self.std:g}; high quality within "
                f"{self.threshold:g} std of the nearest mode")

    def __call__(self, fake: Tensor, labels: Optional[Tensor] = None) -> dict[str, float]:
        return mode_metrics(fake.float().cpu(), self.centers, self.std, self.threshold)
