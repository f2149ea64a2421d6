"""FID in the feature space of published FIDs (Heusel et al. 2017): the 2015 TensorFlow Inception-v3 as
torch-fidelity ports it, through torchmetrics, from a weights file you supply (nothing is downloaded).

Weights: torch-fidelity's ``weights-inception-2015-12-05-6726825d.pth`` (91 MB, see :data:`URL`), checked by its
SHA-256 before use. Where torchmetrics or torch-fidelity ran with network before, it is already in torch's hub
cache, which is where :class:`InceptionFID` looks when no path is given.
"""

import hashlib
from importlib.util import find_spec
from pathlib import Path
from typing import Optional

import lightning as L
import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor

from gan_manual.errors import ConfigError, require_data_shape
from gan_manual.metrics.base import SampleMetric

URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"


def default_weights() -> Path:
    """Where torch-fidelity's downloader leaves the file: ``<torch hub dir>/checkpoints/<file name>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / URL.rsplit("/", 1)[1]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class InceptionFID(SampleMetric):
    """FID of ``(N, C, H, W)`` images in [-1, 1] (C = 3, or 1 repeated to RGB) against the datamodule's held-out
    split, on Inception-v3's 2048-d pool features, images resized to 299x299 as TensorFlow 1 did (torch-fidelity's
    resize, so figures compare with papers that used TTUR's or torch-fidelity's FID). The real images' features
    are computed once, at setup. Slow on a CPU (1-3 images a second on 2 cores): use a GPU or fewer samples.

    Args:
        weights: The weights file; None looks in torch's hub cache (:func:`default_weights`).
        sha256: Its expected SHA-256 (torch-fidelity's file); another file needs its own hash here.
        batch_size: Images per forward pass.
    """

    def __init__(self, weights: Optional[str] = None, sha256: str = SHA256, batch_size: PositiveInt = 100) -> None:
        self.weights = Path(weights) if weights is not None else default_weights()
        self.sha256 = sha256.lower()
        self.batch_size = batch_size
        self._fid = None
        self._hashed: Optional[tuple[int, int]] = None  # (size, mtime) of the file whose hash matched

    def check(self, datamodule: L.LightningDataModule) -> None:
        require_data_shape(datamodule, lambda shape: len(shape) == 3 and shape[0] in (1, 3),
                           "InceptionFID scores images of 1 or 3 channels")
        if find_spec("torch_fidelity") is None:  # torchmetrics' Inception port
            raise ConfigError("trainer.callbacks: InceptionFID needs torch-fidelity: pip install torch-fidelity (or "
                              "pip install -e '.[inception]')")
        if not self.weights.is_file():
            raise ConfigError(f"trainer.callbacks: InceptionFID has no weights at {self.weights}; download {URL} "
                              f"there (sha256 {SHA256[:8]}...), or give the file's path as metric.init_args.weights")
        stamp = (self.weights.stat().st_size, self.weights.stat().st_mtime_ns)
        if stamp == self._hashed:  # the CLI checks before the run and setup checks again: 91 MB read once
            return
        actual = sha256_of(self.weights)
        if actual != self.sha256:
            raise ConfigError(f"trainer.callbacks: InceptionFID weights {self.weights} have sha256 {actual[:12]}..., "
                              f"expected {self.sha256[:12]}...; download {URL} again, or set metric.init_args.sha256 "
                              f"to the hash of the file you mean to use")
        self._hashed = stamp

    def setup(self, datamodule: L.LightningDataModule) -> None:
        from torchmetrics.image.fid import FrechetInceptionDistance

        super().setup(datamodule)
        # antialias=False: torch-fidelity's TensorFlow-1 bilinear resize, the one published FIDs were computed with.
        self._fid = FrechetInceptionDistance(feature=2048, reset_real_features=False, normalize=True,
                                             feature_extractor_weights_path=str(self.weights), antialias=False)
        self._update(datamodule.reference_samples("test"), real=True)
        self._num_real = int(self._fid.real_features_num_samples)

    def names(self, conditional: bool = False) -> tuple[str, ...]:
        return ("inception_fid",)

    def describe(self, num_samples: int) -> str:
        return (f"{num_samples} samples vs the {self._num_real} held-out images; features: Inception-v3 pool3 "
                f"(2048-d, {self.weights.name})")

    @torch.no_grad()
    def __call__(self, fake: Tensor, labels: Optional[Tensor] = None) -> dict[str, float]:
        self._fid.reset()  # the fake features only: the real ones stay (reset_real_features=False)
        self._update(fake, real=False)
        return {"inception_fid": self._fid.compute().item()}

    def _update(self, images: Tensor, real: bool) -> None:
        for batch in images.float().cpu().clamp(-1, 1).split(self.batch_size):
            rgb = (batch + 1) / 2
            self._fid.update(rgb.expand(-1, 3, -1, -1) if rgb.shape[1] == 1 else rgb, real=real)
