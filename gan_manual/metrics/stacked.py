"""Mode counting on Stacked MNIST by PacGAN's protocol: each channel of each sample is classified by the shipped
MNIST classifier, the three digits name one of 1,000 modes; a mode is covered when at least one sample falls in
it; and the KL divergence of the mode histogram to uniform (PacGAN Table 2 uses 26,000 samples)."""

from typing import Optional

import lightning as L
import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor

from gan_manual.data.stacked import PLACES
from gan_manual.errors import require_data_shape
from gan_manual.metrics.base import SampleMetric, kl_to_uniform
from gan_manual.metrics.classifier import load_classifier


class StackedMNISTModes(SampleMetric):
    """Scores ``(N, 3, 28, 28)`` images in [-1, 1]: ``modes`` covered of 1,000 and ``reverse_kl`` to uniform.

    Args:
        batch_size: Images per forward pass of the classifier.
    """

    def __init__(self, batch_size: PositiveInt = 2000) -> None:
        self.batch_size = batch_size
        self.net = load_classifier("mnist")

    def check(self, datamodule: L.LightningDataModule) -> None:
        require_data_shape(datamodule, lambda shape: shape == (3, 28, 28),
                           "StackedMNISTModes scores Stacked MNIST's (3, 28, 28) images")

    def names(self, conditional: bool = False) -> tuple[str, ...]:
        return ("modes", "reverse_kl")

    def describe(self, num_samples: int) -> str:
        return (f"{num_samples} samples; each channel classified by the shipped MNIST LeNet; 1000 modes "
                f"(digit triples); KL of the mode histogram to uniform")

    @torch.no_grad()
    def modes(self, images: Tensor) -> Tensor:
        """The mode ``(N,)`` in [0, 1000) of each image ``(N, 3, 28, 28)``."""
        digits = [torch.cat([self.net(b[:, c : c + 1]).argmax(1) for b in images.float().cpu().split(self.batch_size)])
                  for c in range(3)]
        return (torch.stack(digits, 1) * PLACES).sum(1)

    def __call__(self, fake: Tensor, labels: Optional[Tensor] = None) -> dict[str, float]:
        counts = torch.bincount(self.modes(fake.clamp(-1, 1)), minlength=1000)
        return {"modes": float((counts > 0).sum()), "reverse_kl": kl_to_uniform(counts)}
