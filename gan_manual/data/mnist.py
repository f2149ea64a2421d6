"""MNIST and Fashion-MNIST from torchvision's files, served as in-memory uint8 batches scaled on the device."""

import math
import os
import shutil
import struct
from pathlib import Path
from typing import Any, Optional

import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor
from torchvision import datasets

from gan_manual.data.base import InMemoryDataModule
from gan_manual.errors import ConfigError

DATA_ENV = "GAN_MANUAL_DATA"


def to_unit_range(images: Tensor) -> Tensor:
    """Stored uint8 images in [0, 255] -> float in [-1, 1], the range of samples (a new tensor)."""
    return images.to(torch.get_default_dtype(), copy=True).div_(127.5).sub_(1.0)


def default_root() -> Path:
    """``$GAN_MANUAL_DATA`` if set, else ``./data``."""
    return Path(os.environ.get(DATA_ENV) or "data")


class MNISTDataModule(InMemoryDataModule):
    """MNIST in torchvision's layout (``<root>/MNIST/raw/``), downloaded by torchvision when asked.

    Batches are ``(images, labels)``: images ``(B, 1, 28, 28)`` float in [-1, 1], labels ``(B,)`` int64. The
    whole split lives in memory as uint8 (47 MB for MNIST's 60k); each batch is one slice, converted to float
    after the transfer to the device (4x less to copy than float).

    Args:
        root: Folder holding ``MNIST/raw/``; None means ``$GAN_MANUAL_DATA``, else ``./data``.
        download: Fetch the files with torchvision's downloader when they are missing.
        batch_size, seed, num_predict: As in :class:`InMemoryDataModule`.
    """

    dataset_class: Any = datasets.MNIST
    data_shape = (1, 28, 28)
    #: Where ``root: null`` points; the CLI records the folder in the run's config.
    default_root = staticmethod(default_root)

    def __init__(
        self,
        root: Optional[str] = None,
        download: bool = False,
        batch_size: PositiveInt = 64,
        seed: Optional[int] = None,
        num_predict: PositiveInt = 64,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, num_predict=num_predict)
        self.root = Path(root) if root is not None else default_root()
        self.download = download
        # Checked here, at instantiation, so the CLI reports it before any run directory is made.
        if self._exists():
            self._check_sizes()
        elif not download:
            raise ConfigError(
                f"data.root: no {self._name()} files in {self._raw_folder().resolve()}; point --data.root "
                f"(or ${DATA_ENV}) at the folder that holds {self._name()}/raw/, or pass --data.download=true"
            )

    def _name(self) -> str:
        return self.dataset_class.__name__

    def _raw_folder(self) -> Path:
        return self.root / self._name() / "raw"

    def _files(self) -> list[Path]:
        return [self._raw_folder() / os.path.splitext(os.path.basename(url))[0] for url, _ in self.dataset_class.resources]

    def _exists(self) -> bool:
        return all(path.is_file() for path in self._files())

    def _check_sizes(self) -> None:
        """Each IDX file is as long as its header says: magic ``0x080D`` (D dimensions), D big-endian sizes, then
        one byte per value. A truncated copy or download fails here, in one line, instead of deep in torchvision."""
        for path in self._files():
            with open(path, "rb") as file:
                header = file.read(4)
                dims = header[3] if len(header) == 4 and header[:3] == b"\x00\x00\x08" else 0
                sizes = struct.unpack(f">{dims}I", file.read(4 * dims)) if dims else ()
            expected = 4 + 4 * dims + math.prod(sizes) if len(sizes) == dims > 0 else None
            actual = path.stat().st_size
            if expected != actual:
                reason = f"{actual} bytes, its header says {expected}" if expected else "no IDX header"
                raise ConfigError(
                    f"data.root: {path.resolve()} is truncated or corrupted ({reason}); delete it and copy it again "
                    f"or download it again with --data.download=true"
                )

    def prepare_data(self) -> None:
        if self._exists():
            return
        folders = (self.root, self.root / self._name(), self._raw_folder())
        created = [folder for folder in folders if not folder.exists()]
        try:
            for train in (True, False):
                self.dataset_class(str(self.root), train=train, download=True)
        except Exception as err:  # torchvision raises URLError/RuntimeError/OSError depending on the failure
            if created:  # a failed download leaves nothing behind: what torchvision made here was new
                shutil.rmtree(created[0], ignore_errors=True)
            raise ConfigError(
                f"data.root: {self._name()} is not in {self._raw_folder().resolve()} and the download failed "
                f"({type(err).__name__}); without network, put the four raw files there or point --data.root "
                f"(or ${DATA_ENV}) at a folder holding {self._name()}/raw/"
            ) from err
        self._check_sizes()

    def setup(self, stage: str) -> None:
        if not self.train_tensors:
            self.train_tensors = self._load(train=True)
            self.eval_tensors = self._load(train=False)

    def _load(self, train: bool) -> tuple[Tensor, Tensor]:
        split = self.dataset_class(str(self.root), train=train, download=False)
        return split.data.unsqueeze(1), split.targets

    def to_model_range(self, samples: Tensor) -> Tensor:
        return to_unit_range(samples)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if self.trainer is not None and self.trainer.predicting:
            return batch
        images, labels = batch
        # uint8 [0, 255] -> float [-1, 1], on the device, once per batch.
        return self.to_model_range(images), labels


class FashionMNISTDataModule(MNISTDataModule):
    """Fashion-MNIST (Xiao et al. 2017) through the same code: ``<root>/FashionMNIST/raw/``."""

    dataset_class = datasets.FashionMNIST
