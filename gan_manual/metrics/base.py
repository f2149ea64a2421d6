"""The interface of a sample-quality metric, as the Evaluate callback uses it."""

import lightning as L
from torch import Tensor


class SampleMetric:
    """Scores generated samples against a datamodule's held-out data.

    ``setup(datamodule)`` reads the reference data once; ``__call__(fake)`` scores samples ``(N, *data_shape)``
    in the data's range and returns named floats; ``floor()`` scores real training data the same way, the figures
    a perfect generator would get; ``describe(n)`` says what the numbers are computed on.
    """

    def setup(self, datamodule: L.LightningDataModule) -> None:
        raise NotImplementedError

    def __call__(self, fake: Tensor) -> dict[str, float]:
        raise NotImplementedError

    def floor(self, num_samples: int) -> dict[str, float]:
        raise NotImplementedError

    def describe(self, num_samples: int) -> str:
        raise NotImplementedError
