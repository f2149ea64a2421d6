"""What ``predict`` generates and where it goes: the ``prediction`` settings of a run's config, the batches of
sample indices (and labels) that the system's ``predict_step`` turns into samples, and the writer of the finished
samples. Every ``predict`` of the CLI has both; the datamodule lends only its batch size and how many samples a
picture of its data shows."""

from pathlib import Path
from typing import Any, Optional, Sequence

import lightning as L
import torch
from jsonargparse.typing import NonNegativeInt, PositiveInt
from lightning.pytorch.callbacks import BasePredictionWriter
from torch import Tensor
from torch.utils.data import DataLoader

from gan_manual import generation, labels as class_labels
from gan_manual.console import note
from gan_manual.data.loader import batch_loader
from gan_manual.labels import LabelPrior


class Prediction:
    """What ``predict`` generates (the config's ``prediction`` section: ``--prediction.num_samples=1000``).

    Args:
        num_samples: How many samples; None: as many as a picture of the data shows (the datamodule's
            ``num_shown``: 64 images, 2500 points of a 2D toy).
        labels: The classes of the samples a conditional generator is asked for, repeated to ``num_samples``
            (``[0, 1, 2]``); None: drawn from the training labels' distribution (the checkpoint's label prior).
    """

    def __init__(self, num_samples: Optional[PositiveInt] = None,
                 labels: Optional[list[NonNegativeInt]] = None) -> None:
        self.num_samples = num_samples
        self.labels = labels

    def check(self, num_classes: int) -> None:
        """A ConfigError naming ``prediction.labels`` if the generator (of ``num_classes``) cannot take them."""
        if self.labels:
            class_labels.check("prediction.labels", self.labels, num_classes)

    def data(self, datamodule: L.LightningDataModule, label_prior: LabelPrior) -> "PredictionData":
        """The datamodule ``predict`` runs on: ``datamodule``'s batch size and picture size, labels drawn from
        ``label_prior`` (read when the batches are made, after the checkpoint restored it)."""
        num_samples = self.num_samples or getattr(datamodule, "num_shown", 64)
        return PredictionData(num_samples, self.labels, getattr(datamodule, "batch_size", 64), label_prior)


class PredictionData(L.LightningDataModule):
    """Batches ``(indices,)`` of ``0 .. num_samples - 1`` (the system draws one sample per index), with the
    indices' labels ``(B,)`` for a conditional generator: ``labels`` repeated, else one draw of ``num_samples``
    labels from ``label_prior`` with the run's seed, so a sample's label does not depend on the batch size."""

    def __init__(self, num_samples: int, labels: Optional[list[int]], batch_size: int,
                 label_prior: LabelPrior) -> None:
        super().__init__()
        self.num_samples = num_samples
        self.labels = labels
        self.batch_size = batch_size
        self.label_prior = label_prior

    def predict_dataloader(self) -> DataLoader:
        served: tuple[Tensor, ...] = (torch.arange(self.num_samples),)
        if self.labels:
            served += (class_labels.repeat(self.labels, self.num_samples),)
        elif self.label_prior.num_classes:
            served += (self.label_prior.draw(self.num_samples, torch.initial_seed()),)
        return batch_loader(served, self.batch_size, 0, shuffle=False, drop_last=False)


class PredictionWriter(BasePredictionWriter):
    """What ``predict`` generated, to ``<log_dir>/samples.pt`` (float ``(num_samples, *data_shape)``) and
    ``<log_dir>/grid.png`` (``samples_rank<r>.pt`` per process under DDP), and from a conditional generator its
    labels to ``labels.pt`` (``labels_rank<r>.pt``). The CLI adds it to every ``predict``."""

    def __init__(self) -> None:
        super().__init__(write_interval="batch_and_epoch")
        self._batches: list[Tensor] = []
        self._labels: list[Tensor] = []

    def on_predict_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._batches, self._labels = [], []

    def write_on_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, prediction: Any,
                           batch_indices: Any, batch: Any, batch_idx: int, dataloader_idx: int) -> None:
        if isinstance(prediction, tuple):  # a conditional generator's (samples, labels)
            prediction, labels = prediction
            self._labels.append(labels.cpu())
        self._batches.append(prediction.detach().float().cpu())

    def write_on_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, predictions: Sequence[Any],
                           batch_indices: Any) -> None:
        samples = torch.cat(self._batches) if self._batches else torch.empty(0)
        labels = torch.cat(self._labels) if self._labels else None
        suffix = f"_rank{trainer.global_rank}" if trainer.world_size > 1 else ""
        drawn = "grid.png" if trainer.is_global_zero and len(samples) else None
        written = generation.write(Path(trainer.log_dir or trainer.default_root_dir), samples, labels,
                                   picture_name=drawn, suffix=suffix)
        note(f"predict: wrote {', '.join(map(str, written))} {tuple(samples.shape)}")
