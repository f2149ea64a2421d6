"""Any folder tree of PNG/JPEG images as a data set: decoded once, resized and centre-cropped, and cached as one
uint8 tensor file keyed by the folder's file list, so later runs start in seconds."""

import hashlib
import json
import os
import pickle
import re
from functools import partial
from pathlib import Path
from typing import Any, Literal, Optional

import torch
from jsonargparse.typing import NonNegativeInt, PositiveInt
from torch import Tensor
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms.v2 import functional as F

from gan_manual import files
from gan_manual.console import check_writable, note
from gan_manual.data.clusters import KMeansLabels
from gan_manual.data.images import ImageDataModule
from gan_manual.errors import ConfigError

#: File endings read as images (case-insensitive); other files are ignored.
EXTENSIONS = (".png", ".jpg", ".jpeg")
#: Part of the cache key: a change to how images are decoded or cropped makes old cache files unused.
CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/gan_manual``, else ``~/.cache/gan_manual``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gan_manual"


class ImageFolderDataModule(ImageDataModule):
    """Every PNG/JPEG under ``root``, resized (shorter side to ``image_size``, antialiased) and centre-cropped
    to ``image_size x image_size``.

    Labels: when ``root`` has subfolders, each holds one class (images anywhere beneath it), classes numbered in
    sorted order of the folder names as torchvision's ImageFolder does (``classes`` lists them, ``num_classes``
    counts them); with no subfolders every label is 0 and ``num_classes`` is 0 (unlabelled: no conditional nets).
    Batches are ``(images, labels)``: images ``(B, channels, image_size, image_size)`` float in [-1, 1], labels
    ``(B,)`` int64.

    The first run decodes every image and writes ``<cache_dir>/<folder name>-<key>.pt``, the key a hash of the
    settings and of every file's path, size and modification time: adding, removing or changing an image makes a
    new cache file. The file is written to a temporary name and renamed, so a killed run leaves no half-written
    cache.

    Args:
        root: The folder of images (or of class folders of images).
        image_size: Side of the square images the networks see.
        channels: 3 (RGB) or 1 (grey); images are converted as they are decoded.
        skip_unreadable: Skip files that do not decode (and say how many) instead of stopping with the first.
        holdout: Images held out (a seeded pick) as the split that validation and metrics compare with; 0
            compares with the training images themselves, as FID on CelebA or FFHQ usually does.
        cache_dir: Folder of the cache files; None means ``$XDG_CACHE_HOME/gan_manual``, else
            ``~/.cache/gan_manual``.
        clusters: Label the images by their clusters (e.g. ``KMeansLabels``) instead of their class folders:
            conditional networks for an unlabelled folder.
        **kwargs: ``batch_size``, ``seed``: as in :class:`~gan_manual.data.InMemoryDataModule`.
    """

    def __init__(
        self,
        root: str,
        image_size: PositiveInt = 64,
        channels: Literal[1, 3] = 3,
        skip_unreadable: bool = False,
        holdout: NonNegativeInt = 0,
        cache_dir: Optional[str] = None,
        clusters: Optional[KMeansLabels] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.image_size = image_size
        self.channels = channels
        self.skip_unreadable = skip_unreadable
        self.holdout = holdout
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.data_shape = (channels, image_size, image_size)
        # Listed here, at instantiation, so the CLI reports a wrong folder before any run directory is made.
        self.files, self.classes = self._list()
        self.num_classes = len(self.classes)
        self.use_clusters(clusters)
        self._cache_file: Optional[Path] = None
        if holdout >= len(self.files):
            raise ConfigError(f"data.holdout: {holdout} of the {len(self.files)} images of {self.root} would leave "
                              f"none to train on")
        check_writable("data.cache_dir", self.cache_dir)

    def _list(self) -> tuple[list[Path], list[str]]:
        """The image files (sorted) and the class names (the subfolders that hold images, sorted)."""
        if not self.root.is_dir():
            raise ConfigError(f"data.root: {self.root} is not a folder")
        files = sorted(p for p in _walk(self.root) if p.suffix.lower() in EXTENSIONS and p.is_file())
        if not files:
            raise ConfigError(f"data.root: no {'/'.join(e[1:].upper() for e in EXTENSIONS)} images under {self.root}")
        loose = [p for p in files if p.parent == self.root]
        classes = sorted({p.relative_to(self.root).parts[0] for p in files if p.parent != self.root})
        if loose and classes:
            raise ConfigError(f"data.root: {self.root} holds class folders ({', '.join(classes[:3])}, ...) and loose "
                              f"images ({loose[0].name}, ...); move the loose images into a class folder")
        return files, classes

    def cache_file(self) -> Path:
        """The cache file of the folder as listed at instantiation (its key stats every file once, not on each
        of prepare_data's and setup's calls)."""
        if self._cache_file is None:
            listing = [(p.relative_to(self.root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                       for p in self.files]
            settings = [CACHE_FORMAT, self.image_size, self.channels, self.skip_unreadable, listing]
            key = hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]
            self._cache_file = self.cache_dir / f"{self.root.resolve().name}-{key}.pt"
        return self._cache_file

    def prepare_data(self) -> None:
        cache = self.cache_file()
        if cache.is_file():
            return
        note(f"data: decoding {len(self.files)} images of {self.root} once, into {cache}")
        images, labels, skipped = self._decode_all()
        if skipped:
            note(f"data: skipped {len(skipped)} unreadable files ({skipped[0]}, ...)")
        content = {"images": images, "labels": labels, "classes": self.classes, "skipped": skipped}
        files.write(cache, partial(torch.save, content), needed=images.nbytes,
                    hint="free some space, or put the cache elsewhere (--data.cache_dir)")

    def _decode_all(self) -> tuple[Tensor, Tensor, list[str]]:
        mode = ImageReadMode.RGB if self.channels == 3 else ImageReadMode.GRAY
        images, labels, skipped = [], [], []
        for path in self.files:
            try:
                image = decode_image(str(path), mode=mode, apply_exif_orientation=True)
            except (RuntimeError, ValueError) as err:  # torchvision's decoders raise these for bad bytes
                if not self.skip_unreadable:
                    raise ConfigError(f"data.root: {path} does not decode as an image ({_reason(err)}); "
                                      f"fix or delete it, or pass --data.skip_unreadable=true") from err
                skipped.append(str(path.relative_to(self.root)))
                continue
            # A 16-bit PNG decodes as uint16: to 8 bits, so that every image is on one scale (0-255).
            image = F.to_dtype(image, torch.uint8, scale=True)
            image = F.resize(image, [self.image_size], antialias=True)
            images.append(F.center_crop(image, [self.image_size, self.image_size]))
            labels.append(self.classes.index(path.relative_to(self.root).parts[0]) if self.classes else 0)
        if not images:
            raise ConfigError(f"data.root: none of the {len(self.files)} images under {self.root} decodes")
        return torch.stack(images), torch.tensor(labels, dtype=torch.int64), skipped

    def _read_cache(self) -> dict[str, Any]:
        """The cache file's content. One that does not read (cut short by a full disk before writes were atomic,
        or changed on disk) is decoded again, with a line saying so, instead of failing every later run."""
        cache = self.cache_file()
        try:
            return torch.load(cache, weights_only=True)
        except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError) as error:  # zip reader, unpickler
            note(f"data: the cache {cache} does not read ({_reason(error)}); decoding the images again")
            cache.unlink(missing_ok=True)
            self.prepare_data()
            return torch.load(cache, weights_only=True)

    def setup(self, stage: str) -> None:
        if self.train_tensors:
            return
        self.prepare_data()  # a no-op once the cache exists; needed where no trainer called it
        saved = self._read_cache()
        images, labels = saved["images"], saved["labels"]
        if not self.holdout:
            self.train_tensors = self.eval_tensors = (images, labels)
        else:
            order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.resolved_seed()))
            held, kept = order[: self.holdout], order[self.holdout:]
            self.train_tensors, self.eval_tensors = (images[kept], labels[kept]), (images[held], labels[held])
        self.relabel()


def _walk(root: Path) -> list[Path]:
    """Every file under ``root``, in class folders that are symbolic links too (each real folder once: a link
    back up the tree is not followed round)."""
    found, seen = [], set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        found += [Path(folder) / name for name in names]
    return found


def _reason(err: Exception) -> str:
    """The decoder's message without the C++ source location torchvision puts first."""
    return re.sub(r"^.*\.cpp:\d+, ", "", str(err).splitlines()[0]).split(". ")[0]
