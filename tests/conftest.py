"""Shared fixtures: a tiny fake MNIST/Fashion-MNIST in torchvision's raw layout, and each test in its own folder.

Real MNIST is only used by test_real_mnist.py, from $GAN_MANUAL_DATA as set when pytest started.
"""

import os
import struct
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
#: $GAN_MANUAL_DATA as given to pytest (made absolute: tests run in folders of their own), before the fixtures
#: below point it at the fake data.
REAL_DATA = str(Path(os.environ["GAN_MANUAL_DATA"]).resolve()) if os.environ.get("GAN_MANUAL_DATA") else None


def _write_idx(path: Path, data: torch.Tensor) -> None:
    """The IDX format of the MNIST files: magic (0x0800 | ndim), big-endian sizes, uint8 payload."""
    header = struct.pack(">I", 0x0800 | data.dim()) + struct.pack(f">{data.dim()}I", *data.shape)
    path.write_bytes(header + data.to(torch.uint8).numpy().tobytes())


def write_fake_mnist(root: Path, name: str = "MNIST", train: int = 2048, test: int = 128) -> Path:
    """Random 28x28 uint8 images and labels under ``root/name/raw``, named as torchvision expects."""
    raw = root / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = torch.Generator().manual_seed(0)
    for prefix, n in (("train", train), ("t10k", test)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", torch.randint(0, 256, (n, 28, 28), generator=rng))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", torch.randint(0, 10, (n,), generator=rng))
    return root


@pytest.fixture(scope="session")
def fake_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fake_data")
    write_fake_mnist(root, "MNIST")
    write_fake_mnist(root, "FashionMNIST")
    return root


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, fake_data) -> Path:
    """Runs each test in an empty folder of its own, with $GAN_MANUAL_DATA at the fake data."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAN_MANUAL_DATA", str(fake_data))
    return tmp_path


def config(name: str) -> str:
    """Absolute path of a file under the repository (configs/..., experiments/...)."""
    return str(REPO / name)


#: Appended to a fit command: a few batches, little validation, logs on every other batch.
TINY = [
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=4",
    "--trainer.limit_val_batches=1",
    "--trainer.log_every_n_steps=2",
    "--trainer.enable_model_summary=false",
]
