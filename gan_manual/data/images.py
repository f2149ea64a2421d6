"""What the image datamodules share: uint8 images in memory, scaled to [-1, 1] on the device, and the default
data folder."""

import os
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor

from gan_manual.data.base import InMemoryDataModule
from gan_manual.data.clusters import KMeansLabels

DATA_ENV = "GAN_MANUAL_DATA"


def to_unit_range(images: Tensor) -> Tensor:
    """Stored uint8 images in [0, 255] -> float in [-1, 1], the range of samples (a new tensor)."""
    return images.to(torch.get_default_dtype(), copy=True).div_(127.5).sub_(1.0)


def default_root() -> Path:
    """``$GAN_MANUAL_DATA`` if set, else ``./data``."""
    return Path(os.environ.get(DATA_ENV) or "data")


class ImageDataModule(InMemoryDataModule):
    """Subclasses store images as uint8 ``(N, C, H, W)`` in [0, 255] (a quarter of float's memory and of the
    bytes copied to the device); batches reach the model as ``(images, labels)``, images float in [-1, 1].

    Subclasses that take ``clusters`` (a :class:`~gan_manual.data.KMeansLabels`) pass it to :meth:`use_clusters`
    and call :meth:`relabel` at the end of ``setup``: the labels are then cluster ids, ``num_classes`` the number
    of clusters.
    """

    #: Labels from clustering the images, replacing the data's own; None: the data's own labels.
    clusters: Optional[KMeansLabels] = None

    def use_clusters(self, clusters: Optional[KMeansLabels]) -> None:
        self.clusters = clusters
        if clusters is not None:
            # Before the CLI links it to the networks; a plain int, as a checkpoint's hyperparameters must be.
            self.num_classes = int(clusters.num_clusters)

    @property
    def labels_are_classes(self) -> bool:
        return self.clusters is None

    def relabel(self) -> None:
        """Labels of both splits <- their clusters (fitted on the training images), when ``clusters`` is set."""
        if self.clusters is None:
            return
        (train, _), (held_out, _) = self.train_tensors, self.eval_tensors
        train_labels, held_out_labels = self.clusters(train, held_out)
        self.train_tensors, self.eval_tensors = (train, train_labels), (held_out, held_out_labels)

    def to_model_range(self, samples: Tensor) -> Tensor:
        return to_unit_range(samples)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if self.trainer is not None and self.trainer.predicting:
            return batch
        images, labels = batch
        # uint8 [0, 255] -> float [-1, 1], on the device, once per batch.
        return self.to_model_range(images), labels
