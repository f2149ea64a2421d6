"""Datamodules: shapes, scaling, seeded order, the toy layouts, and missing data."""

from pathlib import Path

import pytest
import torch
import torchvision

from gan_manual.data import (FashionMNISTDataModule, GridDataModule, MNISTDataModule, RingDataModule,
                             StackedMNISTDataModule)
from gan_manual.errors import ConfigError
from helpers import write_fake_mnist


def batches(dm, n=None):
    dm.setup("fit")
    out = []
    for i, batch in enumerate(dm.train_dataloader()):
        if n is not None and i == n:
            break
        out.append(dm.on_after_batch_transfer(batch, 0) if isinstance(dm, MNISTDataModule) else batch)
    return out


def test_mnist_batches_scaled_to_unit_range(fake_data):
    dm = MNISTDataModule(root=str(fake_data), batch_size=64, seed=0)
    images, labels = batches(dm, 1)[0]
    assert images.shape == (64, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (64,)
    raw = dm.train_tensors[0]
    assert raw.dtype == torch.uint8  # kept as uint8 in memory, scaled per batch
    assert images.min() == -1.0 and images.max() == 1.0
    first = next(iter(dm.train_dataloader()))[0]
    assert torch.equal(images, first.float() / 127.5 - 1.0)


def test_root_defaults_to_environment(fake_data):
    assert MNISTDataModule().root == Path(fake_data)


def test_epoch_drops_last_partial_batch(fake_data):
    dm = MNISTDataModule(root=str(fake_data), batch_size=100, seed=0)
    assert len(batches(dm)) == 2048 // 100


def test_shuffling_is_seeded_and_changes_per_epoch(fake_data):
    def order(seed, epoch):
        dm = MNISTDataModule(root=str(fake_data), batch_size=64, seed=seed)
        dm.setup("fit")
        loader = dm.train_dataloader()
        loader.sampler.set_epoch(epoch)
        return torch.cat([labels for _, labels in loader])

    assert torch.equal(order(0, 0), order(0, 0))
    assert not torch.equal(order(0, 0), order(0, 1))
    assert not torch.equal(order(0, 0), order(1, 0))


def test_fashion_mnist_reads_its_own_folder(fake_data):
    dm = FashionMNISTDataModule(root=str(fake_data))
    dm.setup("fit")
    assert dm.train_tensors[0].shape == (2048, 1, 28, 28)
    assert dm.folder() == Path(fake_data) / "FashionMNIST" / "raw"


def test_missing_data_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match=r"data\.root: no MNIST files in .*nowhere/MNIST/raw"):
        MNISTDataModule(root=str(tmp_path / "nowhere"))


def test_failed_download_says_how_and_leaves_nothing(tmp_path, monkeypatch):
    def offline(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", offline)
    dm = MNISTDataModule(root=str(tmp_path / "data"), download=True)
    with pytest.raises(ConfigError, match="download failed.*--data.root"):
        dm.prepare_data()
    assert list(tmp_path.iterdir()) == []


def test_download_skipped_when_files_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", lambda self: pytest.fail("downloaded"))
    MNISTDataModule(root=str(write_fake_mnist(tmp_path)), download=True).prepare_data()


def test_ring_has_distinct_evenly_spaced_modes():
    centers = RingDataModule(num_modes=8).centers()
    assert len(torch.unique(centers.round(decimals=6), dim=0)) == 8
    assert torch.allclose(centers.norm(dim=1), torch.ones(8))
    gaps = (centers - centers.roll(1, 0)).norm(dim=1)
    assert torch.allclose(gaps, gaps[0].expand(8))


def test_grid_modes_and_samples():
    dm = GridDataModule(num_samples=5000, seed=0)
    values = sorted({round(v, 6) for v in dm.centers().flatten().tolist()})
    assert values == [-4.0, -2.0, 0.0, 2.0, 4.0] and len(dm.centers()) == 25
    points, modes = batches(dm, 1)[0]
    assert points.shape == (256, 2) and modes.shape == (256,)
    # every point lies near its own centre: std 0.05, so within 0.3
    assert (points - dm.centers()[modes]).norm(dim=1).max() < 0.3


def test_toy_data_is_a_function_of_the_seed():
    a, b, c = (RingDataModule(num_samples=100, seed=s) for s in (0, 0, 1))
    for dm in (a, b, c):
        dm.setup("fit")
    assert torch.equal(a.train_tensors[0], b.train_tensors[0])
    assert not torch.equal(a.train_tensors[0], c.train_tensors[0])


def test_stacked_mnist_stacks_three_digits_and_names_their_mode(fake_data):
    dm = StackedMNISTDataModule(root=str(fake_data), num_samples=500, num_eval_samples=100, seed=0)
    images, modes = batches(dm, 1)[0]
    assert images.shape == (64, 3, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert modes.shape == (64,) and modes.min() >= 0 and modes.max() < 1000
    mnist = MNISTDataModule(root=str(fake_data))
    mnist.setup("fit")
    digits = torch.cat([mnist.train_tensors[0], mnist.eval_tensors[0]])
    labels = torch.cat([mnist.train_tensors[1], mnist.eval_tensors[1]])
    raw, raw_modes = dm.train_tensors
    for image, mode in zip(raw[:20], raw_modes[:20]):
        # each channel is one MNIST digit, and the mode is its three labels
        found = [torch.nonzero((digits[:, 0] == image[c]).flatten(1).all(1)).flatten() for c in range(3)]
        assert all(len(f) for f in found)
        assert any(100 * labels[a] + 10 * labels[b] + labels[c] == mode
                   for a in found[0] for b in found[1] for c in found[2])
    again = StackedMNISTDataModule(root=str(fake_data), num_samples=500, num_eval_samples=100, seed=0)
    again.setup("fit")
    assert torch.equal(again.train_tensors[0], raw) and dm.eval_tensors[0].shape == (100, 3, 28, 28)


def test_train_images_is_the_same_subset_for_every_seed_and_the_held_out_split_stays_whole(fake_data, isolated,
                                                                                           capsys):
    whole = MNISTDataModule(root=str(fake_data))
    whole.setup("fit")
    images, labels = whole.train_tensors
    subsets = []
    for seed in (0, 1):
        dm = MNISTDataModule(root=str(fake_data), train_images=100, seed=seed)
        dm.setup("fit")
        subsets.append(dm.train_tensors)
        assert dm.train_tensors[0].shape == (100, 1, 28, 28) and torch.equal(dm.eval_tensors[0], whole.eval_tensors[0])
        assert len(list(dm.train_dataloader())) == 100 // dm.batch_size
    assert all(torch.equal(a, b) for a, b in zip(*subsets))
    # Images of the split with their own labels, spread over it (not its first 100).
    rows = {bytes(image.numpy()): i for i, image in enumerate(images)}
    picked = [rows[bytes(image.numpy())] for image in subsets[0][0]]
    assert torch.equal(labels[picked], subsets[0][1]) and max(picked) > 1000
    with pytest.raises(ConfigError, match="data.train_images: 60001, more than the 60,000 images of MNIST's"):
        MNISTDataModule(root=str(fake_data), train_images=60_001)
    with pytest.raises(ConfigError, match="data.train_images: Stacked MNIST stacks"):
        StackedMNISTDataModule(root=str(fake_data), train_images=10)
    small = MNISTDataModule(root=str(fake_data), train_images=5000)  # the fake split has 2048
    with pytest.raises(ConfigError, match="data.train_images: 5000, more than the 2,048 images of the training"):
        small.setup("fit")
