"""The datamodule base: tensors in memory, seeded batches, and the sample shape the CLI links to the nets."""

from typing import Literal, Optional

import lightning as L
import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor
from torch.utils.data import DataLoader

from gan_manual.data.loader import batch_loader
from gan_manual.errors import ConfigError


class InMemoryDataModule(L.LightningDataModule):
    """Subclasses fill ``self.train_tensors`` and ``self.eval_tensors`` (``(samples, labels)``) in ``setup``.

    Args:
        batch_size: Samples per training batch; the last incomplete batch of an epoch is dropped.
        seed: Seed of the shuffling (and of generated data); None takes the run's ``seed_everything``.

    Subclasses declare their own arguments and pass the rest on with ``**kwargs`` (jsonargparse reads the
    arguments of the whole chain), so each argument is declared once, by the level that owns it.
    """

    #: Shape of one sample, ``(C, H, W)`` or ``(2,)``; the CLI links it to the networks' ``data_shape``.
    data_shape: tuple[int, ...]
    #: Labels are in ``[0, num_classes)``; 0: the data has no class labels. The CLI links it to the networks'
    #: ``num_classes`` (which a conditional network uses).
    num_classes: int = 0
    #: Whether the labels are the data set's classes (what a classifier's class metrics can score); False for
    #: labels made by clustering the samples.
    labels_are_classes: bool = True
    #: How many samples a picture of this data shows (a grid of images, a scatter of points): what ``predict``
    #: generates unless told otherwise.
    num_shown: int = 64

    def __init__(self, batch_size: PositiveInt = 64, seed: Optional[int] = None) -> None:
        super().__init__()
        # Recorded in checkpoints (under the CLI: the data config), so a resume can report what changed.
        self.save_hyperparameters()
        self.batch_size = batch_size
        self.seed = seed
        self.train_tensors: tuple[Tensor, ...] = ()
        self.eval_tensors: tuple[Tensor, ...] = ()

    def reference_samples(self, split: Literal["train", "test"], limit: Optional[int] = None) -> Tensor:
        """Real samples ``(N, *data_shape)`` in the range the networks see (what a perfect generator would make),
        the first ``limit`` (all if None) of the training or the held-out split: what metrics compare samples
        with. Sets the data up if that has not happened yet."""
        return self.to_model_range(self._split(split)[0][:limit])

    def reference_labels(self, split: Literal["train", "test"], limit: Optional[int] = None) -> Tensor:
        """The labels ``(N,)`` of :meth:`reference_samples` with the same arguments."""
        return self._split(split)[1][:limit]

    def _split(self, split: Literal["train", "test"]) -> tuple[Tensor, ...]:
        """The training or the held-out ``(samples, labels)``, set up first if need be."""
        if not self.train_tensors:
            self.setup("fit" if split == "train" else "test")
        return self.train_tensors if split == "train" else self.eval_tensors

    def label_frequencies(self) -> Tensor:
        """The share of each class among the training labels, ``(num_classes,)`` float64 summing to 1: the
        distribution a conditional system draws its generated labels from. Sets the data up if need be."""
        if not self.train_tensors:
            self.setup("fit")
        labels = self.train_tensors[1]
        wrong = (labels < 0) | (labels >= self.num_classes)
        if self.num_classes <= 0 or wrong.any():
            first = wrong.nonzero()[0].item() if wrong.any() else None
            found = "no classes" if first is None else f"label {labels[first].item()} (sample {first})"
            raise ConfigError(f"data: {type(self).__name__} has num_classes={self.num_classes} and {found} in its "
                              f"training split; labels must lie in [0, num_classes)")
        counts = torch.bincount(labels, minlength=self.num_classes).double()
        return counts / counts.sum()

    def to_model_range(self, samples: Tensor) -> Tensor:
        """Stored samples -> the values the networks take; as stored, unless a subclass stores them otherwise."""
        return samples

    def resolved_seed(self) -> int:
        """``seed``, or the seed that ``seed_everything`` gave torch."""
        return self.seed if self.seed is not None else torch.initial_seed()

    def train_dataloader(self) -> DataLoader:
        # Under DDP every process takes its own share of each epoch's batches (see SeededBatchSampler).
        rank, world = (self.trainer.global_rank, self.trainer.world_size) if self.trainer is not None else (0, 1)
        loader = batch_loader(
            self.train_tensors, self.batch_size, self.resolved_seed(), shuffle=True, drop_last=True, rank=rank,
            num_replicas=world,
        )
        if len(loader) == 0:  # only whole batches are trained on
            samples = len(self.train_tensors[0])
            each = f", {samples // world} for each of {world} processes" if world > 1 else ""
            raise ConfigError(f"data.batch_size: {self.batch_size} is more than the {samples} training samples"
                              f"{each}: not one whole batch to train on; give at most {samples // world}")
        return loader

    def val_dataloader(self) -> DataLoader:
        # Every process evaluates all of it: the figures are the same on every rank, at a small cost.
        return batch_loader(self.eval_tensors, self.batch_size, 0, shuffle=False, drop_last=False)

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()
