"""Fixtures: a tiny fake MNIST/Fashion-MNIST/CIFAR-10 in torchvision's layouts, and each test in its own folder.
Shared helpers are in helpers.py. Real MNIST is only used where $GAN_MANUAL_DATA was set when pytest started
(helpers.REAL_DATA)."""

from pathlib import Path

import pytest

from helpers import write_fake_cifar10, write_fake_mnist


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
