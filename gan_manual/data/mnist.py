"""MNIST and Fashion-MNIST from torchvision's files, served as in-memory uint8 batches scaled on the device."""

import math
import os
import struct
from pathlib import Path
from typing import Any

from torch import Tensor
from torchvision import datasets

from gan_manual.data.downloaded import DownloadedDataModule
from gan_manual.errors import ConfigError


class MNISTDataModule(DownloadedDataModule):
    """MNIST in torchvision's layout (``<root>/MNIST/raw/``), downloaded by torchvision when asked.

    Batches are ``(images, labels)``: images ``(B, 1, 28, 28)`` float in [-1, 1], labels ``(B,)`` int64. The
    whole split lives in memory as uint8 (47 MB for MNIST's 60k); each batch is one slice, converted to float
    after the transfer to the device (4x less to copy than float).

    Args:
        root: Folder holding ``MNIST/raw/``; None means ``$GAN_MANUAL_DATA``, else ``./data``.
        download, clusters, train_images, batch_size, seed: As in
            :class:`~gan_manual.data.downloaded.DownloadedDataModule`.
    """

    dataset_class: Any = datasets.MNIST
    data_shape = (1, 28, 28)
    num_classes = 10
    train_split_size = 60_000

    def folder(self) -> Path:
        return self.root / self._name() / "raw"

    def files(self) -> list[Path]:
        return [self.folder() / os.path.splitext(os.path.basename(url))[0] for url, _ in self.dataset_class.resources]

    def verify(self) -> None:
        """Each IDX file is as long as its header says: magic ``0x080D`` (D dimensions), D big-endian sizes, then
        one byte per value; a split's images and labels are as many. A truncated or mismatched copy or download
        fails here, in one line, before anything is written, instead of deep in torchvision."""
        counts = {}
        for path in self.files():
            with open(path, "rb") as file:
                header = file.read(4)
                dims = header[3] if len(header) == 4 and header[:3] == b"\x00\x00\x08" else 0
                packed = file.read(4 * dims)
            sizes = struct.unpack(f">{dims}I", packed) if dims and len(packed) == 4 * dims else ()
            expected = 4 + 4 * dims + math.prod(sizes) if len(sizes) == dims > 0 else None
            actual = path.stat().st_size
            if expected != actual:
                reason = (f"{actual} bytes, its header says {expected}" if expected
                          else f"{actual} bytes, cut inside its IDX header" if dims else "no IDX header")
                raise ConfigError(
                    f"data.root: {path.resolve()} is truncated or corrupted ({reason}); delete it and copy it again "
                    f"or download it again with --data.download=true"
                )
            counts[path] = sizes[0]
        images, labels = (path for path in counts if "images" in path.name), (p for p in counts if "labels" in p.name)
        for image_file, label_file in zip(images, labels):  # torchvision's order: train's pair, then test's
            if counts[image_file] != counts[label_file]:
                raise ConfigError(
                    f"data.root: {image_file.resolve()} holds {counts[image_file]} images and {label_file.name} "
                    f"{counts[label_file]} labels: the two files are of different copies; copy both again or "
                    f"download them again with --data.download=true"
                )

    def load(self, train: bool) -> tuple[Tensor, Tensor]:
        split = self.dataset_class(str(self.root), train=train, download=False)
        return split.data.unsqueeze(1), split.targets


class FashionMNISTDataModule(MNISTDataModule):
    """Fashion-MNIST (Xiao et al. 2017) through the same code: ``<root>/FashionMNIST/raw/``."""

    dataset_class = datasets.FashionMNIST
