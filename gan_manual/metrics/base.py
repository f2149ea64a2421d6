"""The interface of a sample-quality metric, as the Evaluate callback uses it, and what metrics share."""

from typing import Optional

import lightning as L
from torch import Tensor


class SampleMetric:
    """Scores generated samples against a datamodule's real data.

    ``setup(datamodule)`` reads the reference data once (subclasses extend it); ``__call__(fake, labels)`` scores
    samples ``(N, *data_shape)`` in the data's range, made for the classes ``labels`` ``(N,)`` by a conditional
    generator (None for an unconditional one; a metric that does not score conditioning ignores them), and returns
    named floats; ``floor(n, conditional)`` scores ``n`` real training samples the same way (with their labels if
    ``conditional``), the figures a perfect generator would get; ``describe(n)`` says what the numbers are
    computed on. The datamodule serves real samples and labels through ``reference_samples(split, limit)`` and
    ``reference_labels(split, limit)`` (:class:`gan_manual.data.InMemoryDataModule`).
    """

    datamodule: L.LightningDataModule

    def check(self, datamodule: L.LightningDataModule) -> None:
        """Raises a ConfigError if this metric cannot score the data's samples; cheap (the CLI asks before a run)."""

    def setup(self, datamodule: L.LightningDataModule) -> None:
        self.check(datamodule)
        self.datamodule = datamodule

    def __call__(self, fake: Tensor, labels: Optional[Tensor] = None) -> dict[str, float]:
        raise NotImplementedError

    def floor(self, num_samples: int, conditional: bool = False) -> dict[str, float]:
        labels = self.datamodule.reference_labels("train", num_samples) if conditional else None
        return self(self.datamodule.reference_samples("train", num_samples), labels)

    def describe(self, num_samples: int) -> str:
        raise NotImplementedError

    def names(self, conditional: bool = False) -> Optional[tuple[str, ...]]:
        """The names of the figures ``__call__`` returns (for a conditional generator if ``conditional``), known
        before any sample is scored: a study refuses a metric name that no cell logs. None: not declared."""
        return None


def kl_to_uniform(counts: Tensor) -> float:
    """KL divergence from the histogram ``counts`` ``(K,)`` to the uniform one over its K bins (0 when even,
    log K when all in one bin, inf when empty)."""
    share = counts.double() / counts.sum().clamp(min=1)
    nonzero = share[share > 0]
    return (nonzero * (nonzero * len(share)).log()).sum().item() if len(nonzero) else float("inf")
