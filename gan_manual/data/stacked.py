"""Stacked MNIST (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018): three MNIST digits drawn at random as
the three channels of one 28x28 image, so 1,000 modes, one per triple of digits. Served from memory as uint8."""

from typing import Any

import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor

from gan_manual.data.mnist import MNISTDataModule
from gan_manual.errors import ConfigError

#: The mode of a triple of digits (d0, d1, d2): 100 d0 + 10 d1 + d2.
PLACES = torch.tensor([100, 10, 1])


class StackedMNISTDataModule(MNISTDataModule):
    """Batches are ``(images, modes)``: images ``(B, 3, 28, 28)`` in [-1, 1], modes ``(B,)`` int64 in [0, 1000).

    As PacGAN's experiments: the training images stack digits drawn (seeded) from all 70,000 MNIST digits, train
    and test. The held-out images, which the metrics' floor and validation use, stack test digits only.

    Args:
        num_samples: Training images (PacGAN's 25,600).
        num_eval_samples: Held-out images (26,000: the sample count of PacGAN's mode counting).
        **kwargs: ``root``, ``download`` (of the MNIST files), ``batch_size``, ``seed``: as in
            :class:`~gan_manual.data.MNISTDataModule`.
    """

    data_shape = (3, 28, 28)
    num_modes = num_classes = 1000  # the label is the mode (PLACES)

    def __init__(
        self,
        num_samples: PositiveInt = 25_600,
        num_eval_samples: PositiveInt = 26_000,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("train_images") is not None:
            raise ConfigError("data.train_images: Stacked MNIST stacks its training images from all 70,000 digits; "
                              "set data.num_samples for fewer")
        super().__init__(**kwargs)
        self.num_samples = num_samples
        self.num_eval_samples = num_eval_samples

    def setup(self, stage: str) -> None:
        if self.train_tensors:
            return
        (train, train_labels), (test, test_labels) = self.load(train=True), self.load(train=False)
        rng = torch.Generator().manual_seed(self.resolved_seed())
        self.train_tensors = self._stack(torch.cat([train, test]), torch.cat([train_labels, test_labels]),
                                         self.num_samples, rng)
        self.eval_tensors = self._stack(test, test_labels, self.num_eval_samples, rng)

    @staticmethod
    def _stack(digits: Tensor, labels: Tensor, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        """``n`` images ``(n, 3, 28, 28)`` of three digits drawn from ``digits`` ``(N, 1, 28, 28)``, and their modes."""
        picks = torch.randint(len(digits), (n, 3), generator=rng)
        return digits[picks].squeeze(2), (labels[picks] * PLACES).sum(1)
