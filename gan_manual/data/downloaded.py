"""The base of data sets that torchvision knows (its on-disk layout, its downloader): checked at instantiation,
downloaded on request, loaded whole into memory as uint8."""

import shutil
from pathlib import Path
from typing import Any, Optional

import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor

from gan_manual.data.clusters import KMeansLabels
from gan_manual.data.images import DATA_ENV, ImageDataModule, default_root
from gan_manual.errors import ConfigError


class DownloadedDataModule(ImageDataModule):
    """Subclasses name ``dataset_class`` (a torchvision data set) and say where its files are (``folder``,
    ``files``), how to check them (``verify``) and how to read a split (``load``).

    Args:
        root: The folder torchvision's data set is given (its files are in ``folder()`` under it); None means
            ``$GAN_MANUAL_DATA``, else ``./data``.
        download: Fetch the files with torchvision's downloader when they are missing.
        clusters: Train on cluster ids of the images (e.g. ``KMeansLabels``) instead of the data's labels.
        train_images: Train on this many images of the training split: the same random subset in every run,
            whatever its seed (drawn with seed 0), as in the small-data experiments of DiffAugment and
            StyleGAN2-ADA. None: all of them. The held-out split, which the metrics compare with, stays whole.
        **kwargs: ``batch_size``, ``seed``: as in :class:`InMemoryDataModule`.
    """

    dataset_class: Any
    #: Images in the training split (what ``train_images`` may take at most).
    train_split_size: int
    #: Where ``root: null`` points; the CLI records the folder in the run's config.
    default_root = staticmethod(default_root)

    def __init__(
        self,
        root: Optional[str] = None,
        download: bool = False,
        clusters: Optional[KMeansLabels] = None,
        train_images: Optional[PositiveInt] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if train_images is not None and train_images > self.train_split_size:
            raise ConfigError(f"data.train_images: {train_images}, more than the {self.train_split_size:,} images "
                              f"of {self._name()}'s training split")
        self.root = Path(root) if root is not None else default_root()
        self.download = download
        self.train_images = train_images
        self.use_clusters(clusters)
        # Checked here, at instantiation, so the CLI reports it before any run directory is made.
        if self._exists():
            self.verify()
        elif not download:
            raise ConfigError(
                f"data.root: no {self._name()} files in {self.folder().resolve()}; point --data.root (or "
                f"${DATA_ENV}) at the folder that holds {self._relative_folder()}/, or pass --data.download=true"
            )

    def folder(self) -> Path:
        """The folder that holds the files."""
        raise NotImplementedError

    def files(self) -> list[Path]:
        """The files a complete copy has."""
        raise NotImplementedError

    def verify(self) -> None:
        """Raises a ConfigError naming a file that is truncated or corrupted; cheap enough for every start."""

    def load(self, train: bool) -> tuple[Tensor, Tensor]:
        """One split: images uint8 ``(N, C, H, W)``, labels int64 ``(N,)``."""
        raise NotImplementedError

    def subset(self, split: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """The ``train_images`` of a training split ``(images, labels)`` that are trained on, in their order."""
        if self.train_images is None:
            return split
        if self.train_images > len(split[0]):
            raise ConfigError(f"data.train_images: {self.train_images}, more than the {len(split[0]):,} images of "
                              f"the training split in {self.folder().resolve()}")
        # Seed 0, not the run's: every seed of a study trains on the same images.
        picks = torch.randperm(len(split[0]), generator=torch.Generator().manual_seed(0))[:self.train_images]
        picks = picks.sort().values
        return split[0][picks], split[1][picks]

    def _name(self) -> str:
        return self.dataset_class.__name__

    def _relative_folder(self) -> str:
        return self.folder().relative_to(self.root).as_posix()

    def _exists(self) -> bool:
        return all(path.is_file() for path in self.files())

    def prepare_data(self) -> None:
        if self._exists():
            return
        between = [self.root / part for part in reversed(Path(self._relative_folder()).parents) if part != Path(".")]
        folders = [self.root, *between, self.folder()]
        created = [folder for folder in folders if not folder.exists()]
        try:
            for train in (True, False):
                self.dataset_class(str(self.root), train=train, download=True)
        except Exception as err:  # torchvision raises URLError/RuntimeError/OSError depending on the failure
            if created:  # a failed download leaves nothing behind: what torchvision made here was new
                shutil.rmtree(created[0], ignore_errors=True)
            raise ConfigError(
                f"data.root: {self._name()} is not in {self.folder().resolve()} and the download failed "
                f"({type(err).__name__}); without network, put its files there or point --data.root (or "
                f"${DATA_ENV}) at a folder holding {self._relative_folder()}/"
            ) from err
        self.verify()

    def setup(self, stage: str) -> None:
        if not self.train_tensors:
            self.train_tensors = self.subset(self.load(train=True))
            self.eval_tensors = self.load(train=False)
            self.relabel()

