"""Cluster labels (self-conditioning): k-means on the images' pixels replaces the data's labels, the networks get
as many classes as clusters, and the class metrics, which score digits, leave cluster ids alone."""

import pytest
import torch

from gan_manual.cli import main
from gan_manual.data import ImageFolderDataModule, KMeansLabels, MNISTDataModule
from gan_manual.errors import ConfigError
from gan_manual.metrics import ClassifierMetrics
from helpers import TINY, config, write_fake_image_folder


def blobs(per_blob: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Images uint8 ``(3 * per_blob, 1, 4, 4)`` around three far-apart grey patterns, and which pattern each is."""
    rng = torch.Generator().manual_seed(seed)
    patterns = torch.tensor([20.0, 128.0, 235.0])[:, None] * torch.ones(16)
    patterns[1, :8] = 60.0
    truth = torch.arange(3).repeat_interleave(per_blob)
    images = patterns[truth] + torch.randint(-10, 11, (len(truth), 16), generator=rng)
    return images.to(torch.uint8).reshape(-1, 1, 4, 4), truth


def same_partition(labels: torch.Tensor, truth: torch.Tensor) -> bool:
    """Each true group has one label, and different groups different ones."""
    per_group = [labels[truth == g].unique() for g in truth.unique()]
    return all(len(u) == 1 for u in per_group) and len({u.item() for u in per_group}) == len(per_group)


def test_kmeans_finds_separated_groups_and_labels_held_out_images_by_the_nearest_centre():
    train, truth = blobs(50, seed=0)
    held_out, held_truth = blobs(5, seed=1)
    train_labels, held_labels = KMeansLabels(num_clusters=3, seed=4)(train, held_out)
    assert train_labels.dtype == held_labels.dtype == torch.int64
    assert same_partition(train_labels, truth)
    # The held-out images of each pattern get the label of that pattern's training images.
    assert all(held_labels[held_truth == g].eq(train_labels[truth == g][0]).all() for g in range(3))


def test_kmeans_is_a_function_of_its_seed():
    images = torch.randint(0, 256, (200, 1, 6, 6), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    first, _ = KMeansLabels(num_clusters=8, seed=1)(images, images[:5])
    again, _ = KMeansLabels(num_clusters=8, seed=1)(images, images[:5])
    assert torch.equal(first, again) and set(first.tolist()) == set(range(8))


def test_more_clusters_than_images_is_one_line_naming_the_key():
    images = torch.zeros(4, 1, 2, 2, dtype=torch.uint8)
    with pytest.raises(ConfigError, match=r"data.clusters.num_clusters: 5 clusters of 4 training images; at most 4"):
        KMeansLabels(num_clusters=5)(images, images)


def test_mnist_with_clusters_serves_cluster_ids_and_counts_them_as_classes(fake_data):
    plain = MNISTDataModule(root=str(fake_data))
    data = MNISTDataModule(root=str(fake_data), clusters=KMeansLabels(num_clusters=6))
    plain.setup("fit"), data.setup("fit")
    assert data.num_classes == 6 and not data.labels_are_classes and plain.labels_are_classes
    assert torch.equal(data.train_tensors[0], plain.train_tensors[0]), "the images are the same"
    labels = data.train_tensors[1]
    assert set(labels.tolist()) == set(range(6)) and not torch.equal(labels, plain.train_tensors[1])
    assert data.label_frequencies().tolist() == (torch.bincount(labels, minlength=6) / len(labels)).double().tolist()
    assert data.eval_tensors[1].max().item() < 6


def test_unlabelled_image_folder_gets_cluster_classes(tmp_path):
    root = write_fake_image_folder(tmp_path / "images", classes=(), per_class=12)
    data = ImageFolderDataModule(str(root), image_size=8, clusters=KMeansLabels(num_clusters=3),
                                 cache_dir=str(tmp_path / "cache"))
    assert data.num_classes == 3
    data.setup("fit")
    assert set(data.train_tensors[1].tolist()) == {0, 1, 2}
    assert data.eval_tensors is data.train_tensors or torch.equal(data.eval_tensors[1], data.train_tensors[1])


def test_class_metrics_leave_cluster_ids_alone(fake_data):
    """ClassifierMetrics' class accuracy and class FID compare labels with LeNet's digits: not for clusters."""
    data = MNISTDataModule(root=str(fake_data), clusters=KMeansLabels(num_clusters=4))
    metric = ClassifierMetrics("mnist")
    metric.setup(data)
    images, labels = data.reference_samples("test"), data.reference_labels("test")
    figures = metric(images, labels)
    assert "class_accuracy" not in figures and "class_fid" not in figures
    assert figures["fid"] == metric(images)["fid"]
    digits = ClassifierMetrics("mnist")
    digits.setup(MNISTDataModule(root=str(fake_data)))
    assert "class_accuracy" in digits(images, labels)


NETS = ["--model.init_args.generator.init_args.width=4", "--model.init_args.discriminator.init_args.width=4"]


@pytest.mark.slow  # k-means over the training images, then a conditional fit
def test_cli_conditions_the_networks_on_the_clusters(isolated, capsys):
    clustered = ["-c", config("configs/cdcgan.yaml"), "-c", config("experiments/dcgan_clusters.yaml"), *NETS,
                 "--data.init_args.clusters.init_args.num_clusters=7"]
    cli = main(["fit", *clustered, *TINY])
    assert cli.model.num_classes == 7 == cli.model.generator.num_classes == cli.model.discriminator.num_classes
    assert torch.equal(cli.model.label_prior.probs, cli.datamodule.label_frequencies().float())
    ckpt = next(isolated.glob("runs/dcgan_clusters/version_0/checkpoints/last.ckpt"))
    main(["test", *clustered, "--ckpt_path", str(ckpt), "--trainer.limit_test_batches=1"])
    out = capsys.readouterr().out
    assert "fid" in out and "class_accuracy" not in out


def test_cli_refuses_more_clusters_than_images_before_writing(isolated, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["fit", "-c", config("configs/cdcgan.yaml"), "-c", config("experiments/dcgan_clusters.yaml"), *TINY,
              "--data.init_args.clusters.init_args.num_clusters=5000"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "error: data.clusters.num_clusters: 5000 clusters of 2048 training images" in err
    assert list(isolated.iterdir()) == []


def test_cli_refuses_clusters_for_unconditional_networks(isolated, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["fit", "-c", config("configs/dcgan.yaml"), *TINY,
              "--data.init_args.clusters=gan_manual.data.KMeansLabels",
              "--data.init_args.clusters.init_args.num_clusters=3"])
    assert exit.value.code == 2
    assert "error: data.clusters: set, but the networks are unconditional" in capsys.readouterr().err
    assert list(isolated.iterdir()) == []
