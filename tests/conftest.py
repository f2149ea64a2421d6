"""Fixtures: a tiny fake MNIST/Fashion-MNIST/CIFAR-10 in torchvision's layouts, each test in its own folder, a
finished toy run that tests copy instead of training their own, and a disk that fills up on demand. Shared helpers
are in helpers.py. Real MNIST is only used where $GAN_MANUAL_DATA was set when pytest started (helpers.REAL_DATA)."""

import fnmatch
import shutil
from pathlib import Path
from typing import Optional

import pytest

from gan_manual import files
from helpers import TINY, FillsUp, config, trained_once, write_fake_cifar10, write_fake_mnist


@pytest.fixture(scope="session")
def fake_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fake_data")
    write_fake_mnist(root, "MNIST")
    write_fake_mnist(root, "FashionMNIST")
    write_fake_cifar10(root)
    return root


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, fake_data) -> Path:
    """Runs each test in an empty folder of its own, with $GAN_MANUAL_DATA at the fake data."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAN_MANUAL_DATA", str(fake_data))
    return tmp_path


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory, fake_data) -> Path:
    """A folder holding ``runs/toy_ring/version_0`` (config, events, last.ckpt) of a tiny toy_ring fit, trained
    once."""
    return trained_once(tmp_path_factory, fake_data,
                        ["fit", "-c", config("configs/toy_ring.yaml"), *TINY, "--trainer.enable_progress_bar=false"])


@pytest.fixture
def toy_checkpoint(toy_run, isolated) -> Path:
    """The toy run copied into this test's folder (what the test writes there stays its own): its last.ckpt."""
    shutil.copytree(toy_run / "runs", isolated / "runs")
    return isolated / "runs/toy_ring/version_0/checkpoints/last.ckpt"


@pytest.fixture
def full_disk(monkeypatch):
    """``arm(pattern)``: from now on the disk is full when a file whose name matches ``pattern`` is written (None:
    never again)."""
    def arm(pattern: Optional[str]) -> None:
        def fills_up(path, mode="r", *args, **kwargs):
            file = open(path, mode, *args, **kwargs)
            target = Path(path).name.removeprefix(".").rsplit(".tmp-", 1)[0]  # files.together's temporary file
            return FillsUp(file) if "w" in mode and pattern and fnmatch.fnmatch(target, pattern) else file

        monkeypatch.setattr(files, "open", fills_up, raising=False)
    return arm
