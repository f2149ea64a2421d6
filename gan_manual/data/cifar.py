"""CIFAR-10 (Krizhevsky 2009) from torchvision's files (``<root>/cifar-10-batches-py/``, the pickled batches of
the Python version), served as in-memory uint8 batches scaled on the device."""

from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor
from torchvision import datasets
from torchvision.datasets.utils import check_integrity

from gan_manual.compat import UnverifiedCIFAR10
from gan_manual.data.clusters import KMeansLabels
from gan_manual.data.downloaded import DownloadedDataModule
from gan_manual.errors import ConfigError


class CIFAR10DataModule(DownloadedDataModule):
    """CIFAR-10: 50,000 training and 10,000 test images of 10 classes, 32x32 RGB.

    Batches are ``(images, labels)``: images ``(B, 3, 32, 32)`` float in [-1, 1], labels ``(B,)`` int64 (the
    classes in torchvision's order). In memory as uint8: 150 MB for the training split.

    Args:
        root: Folder holding ``cifar-10-batches-py/``; None means ``$GAN_MANUAL_DATA``, else ``./data``.
        download: Fetch and unpack the archive with torchvision's downloader (163 MB) when the files are missing.
        check_md5: Check the files against torchvision's MD5 sums of the originals at every start (one read of
            every file); false for a copy rebuilt in the same layout (a subset, a relabelled set).
        clusters: Train on cluster ids of the images (e.g. ``KMeansLabels``) instead of the classes.
        **kwargs: ``batch_size``, ``seed``: as in :class:`~gan_manual.data.InMemoryDataModule`.
    """

    dataset_class: Any = datasets.CIFAR10
    data_shape = (3, 32, 32)
    num_classes = 10
    train_split_size = 50_000

    def __init__(
        self,
        root: Optional[str] = None,
        download: bool = False,
        check_md5: bool = True,
        clusters: Optional[KMeansLabels] = None,
        **kwargs: Any,
    ) -> None:
        self.check_md5 = check_md5  # verify(), which the base's __init__ calls, reads it
        super().__init__(root=root, download=download, clusters=clusters, **kwargs)

    def folder(self) -> Path:
        return self.root / self.dataset_class.base_folder

    def _sums(self) -> list[tuple[Path, str]]:
        cls = self.dataset_class
        listed = [*cls.train_list, *cls.test_list, [cls.meta["filename"], cls.meta["md5"]]]
        return [(self.folder() / name, md5) for name, md5 in listed]

    def files(self) -> list[Path]:
        return [path for path, _ in self._sums()]

    def verify(self) -> None:
        if not self.check_md5:
            return
        for path, md5 in self._sums():
            if not check_integrity(str(path), md5):
                raise ConfigError(
                    f"data.root: {path.resolve()} does not match torchvision's MD5 sum of the original (corrupted or "
                    f"rebuilt); delete it and download again with --data.download=true, or pass "
                    f"--data.check_md5=false for a copy rebuilt in the same layout"
                )

    def load(self, train: bool) -> tuple[Tensor, Tensor]:
        reader = self.dataset_class if self.check_md5 else UnverifiedCIFAR10
        split = reader(str(self.root), train=train, download=False)
        images = torch.from_numpy(split.data).permute(0, 3, 1, 2).contiguous()  # stored (N, H, W, C)
        return images, torch.tensor(split.targets, dtype=torch.int64)
