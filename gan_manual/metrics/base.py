"""The interface of a sample-quality metric, as the Evaluate callback uses it, and what metrics share."""

import lightning as L
from torch import Tensor


class SampleMetric:
    """Scores generated samples against a datamodule's real data.

    ``setup(datamodule)`` reads the reference data once (subclasses extend it); ``__call__(fake)`` scores samples
    ``(N, *data_shape)`` in the data's range and returns named floats; ``floor(n)`` scores ``n`` real training
    samples the same way, the figures a perfect generator would get; ``describe(n)`` says what the numbers are
    computed on. The datamodule serves real samples through ``reference_samples(split, limit)``
    (:meth:`gan_manual.data.InMemoryDataModule.reference_samples`).
    """

    datamodule: L.LightningDataModule

    def check(self, datamodule: L.LightningDataModule) -> None:
        """Raises a ConfigError if this metric cannot score the data's samples; cheap (the CLI asks before a run)."""

    def setup(self, datamodule: L.LightningDataModule) -> None:
        self.check(datamodule)
        self.datamodule = datamodule

    def __call__(self, fake: Tensor) -> dict[str, float]:
        raise NotImplementedError

    def floor(self, num_samples: int) -> dict[str, float]:
        return self(self.datamodule.reference_samples("train", num_samples))

    def describe(self, num_samples: int) -> str:
        raise NotImplementedError


def kl_to_uniform(counts: Tensor) -> float:
    """KL divergence from the histogram ``counts`` ``(K,)`` to the uniform one over its K bins (0 when even,
    log K when all in one bin, inf when empty)."""
    share = counts.double() / counts.sum().clamp(min=1)
    nonzero = share[share > 0]
    return (nonzero * (nonzero * len(share)).log()).sum().item() if len(nonzero) else float("inf")
