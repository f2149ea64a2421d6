"""Metric sanity with known answers: toy modes, k-NN precision/recall, and (on real MNIST) the classifier
metrics: a set against itself, train against test, noise, one digit only, the classifier's accuracy."""

import math

import pytest
import torch

from gan_manual.data import GridDataModule, MNISTDataModule, RingDataModule, StackedMNISTDataModule
from gan_manual.data.images import to_unit_range
from gan_manual.metrics import ClassifierMetrics, StackedMNISTModes, mode_metrics
from gan_manual.metrics.classifier import load_classifier
from gan_manual.metrics.knn import density_coverage, precision_recall
from helpers import REAL_DATA


@pytest.mark.parametrize("data", [RingDataModule(), GridDataModule()], ids=["ring", "grid"])
def test_samples_on_the_modes_score_every_mode_and_full_quality(data):
    centers = data.centers()
    samples = centers.repeat(2500 // len(centers) + 1, 1)[:2500]
    figures = mode_metrics(samples, centers, data.std)
    assert figures["modes"] == len(centers) and figures["hq_percent"] == 100.0
    assert figures["reverse_kl"] == pytest.approx(0.0, abs=1e-3)


def test_one_mode_only_and_off_mode_samples():
    data = RingDataModule()
    centers = data.centers()
    collapsed = centers[2] + 0.5 * data.std * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    figures = mode_metrics(collapsed, centers, data.std)
    assert figures["modes"] == 1 and figures["hq_percent"] == pytest.approx(100.0)
    assert figures["reverse_kl"] == pytest.approx(math.log(8))
    between = torch.zeros(100, 2)  # the ring's centre: 1.0 away from every mode, 100 std
    assert mode_metrics(between, centers, data.std)["hq_percent"] == 0.0
    assert mode_metrics(between, centers, data.std)["modes"] == 0


def test_precision_recall_known_answers():
    rng = torch.Generator().manual_seed(0)
    real = torch.randn(500, 8, generator=rng)
    assert precision_recall(real, real.clone()) == (1.0, 1.0)
    far = real + 100.0
    assert precision_recall(real, far) == (0.0, 0.0)
    half = torch.cat([real[:250], far[:250]])  # half the fakes on the data, half far away
    assert precision_recall(real, half)[0] == 0.5
    two_modes = torch.cat([real, far])  # data with two modes; fakes that dropped one: precise, half the recall
    assert precision_recall(two_modes, real.clone()) == (1.0, 0.5)


def test_density_coverage_by_hand():
    """Reals at 0, 1, 2, 3 (k=1: every ball of radius 1). A fake at 0.5 lies in the balls of 0 and 1, one at 10 in
    none: density (2 + 0) / (1 * 2) = 1; coverage: the balls of 0 and 1 hold a fake, those of 2 and 3 do not."""
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    assert density_coverage(real, torch.tensor([[0.5], [10.0]]), k=1) == (1.0, 0.5)
    # Fakes crowding one dense spot: density above 1, coverage low (precision would read 1, recall low).
    crowd = torch.full((4, 1), 0.5)
    assert density_coverage(real, crowd, k=1) == (2.0, 0.5)
    rng = torch.Generator().manual_seed(0)
    data = torch.randn(400, 8, generator=rng)
    density, coverage = density_coverage(data, data.clone(), k=5)
    assert coverage == 1.0 and density >= 1.0  # each real sits in its own ball and in its neighbours'
    assert density_coverage(data, data + 100.0, k=5) == (0.0, 0.0)


needs_mnist = pytest.mark.skipif(REAL_DATA is None, reason="set GAN_MANUAL_DATA to a folder holding MNIST/raw/")


@pytest.fixture(scope="module")
def mnist_metrics():
    data = MNISTDataModule(root=REAL_DATA)
    data.setup("test")
    metric = ClassifierMetrics("mnist")
    metric.setup(data)
    return data, metric


@needs_mnist
def test_classifier_accuracy_on_held_out_test_images(mnist_metrics):
    data, _ = mnist_metrics
    images, labels = data.eval_tensors
    net = load_classifier("mnist")
    with torch.no_grad():
        predictions = net(to_unit_range(images[:3000])).argmax(1)
    assert (predictions == labels[:3000]).double().mean() >= 0.99


@pytest.mark.slow  # scores 10,000 real MNIST digits several times over
@needs_mnist
def test_classifier_metrics_known_answers(mnist_metrics):
    data, metric = mnist_metrics
    itself = metric(metric.real)
    assert abs(itself["fid"]) < 1e-3 and itself["precision"] == itself["recall"] == 1.0
    assert itself["classes_covered"] == 10 and itself["class_kl"] < 0.01
    floor = metric.floor(10_000)  # 10k training images against the test set
    noise = metric(torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    assert floor["fid"] < 10 and noise["fid"] > 100 * floor["fid"]
    assert floor["kid"] < 0.02 * noise["kid"]
    assert floor["precision"] > 0.8 and floor["recall"] > 0.8
    assert 0.8 < floor["density"] < 1.2 and floor["coverage"] > 0.8 and itself["coverage"] == 1.0
    assert noise["density"] < 0.1 and noise["coverage"] < 0.1
    assert noise["precision"] < 0.3 and noise["recall"] == 0.0
    assert floor["inception_score"] > 9 and floor["classes_covered"] == 10
    threes = metric(metric.real[data.eval_tensors[1] == 3])
    assert threes["classes_covered"] == 1
    assert threes["class_kl"] == pytest.approx(math.log(10), abs=0.1)
    assert threes["inception_score"] < 1.5


@pytest.mark.slow  # scores 10,000 real MNIST digits several times over
@needs_mnist
def test_classifier_metrics_repeat_and_leave_the_global_generator_alone(mnist_metrics):
    # KID's subsets and IS's splits are random in torchmetrics: the figures must not depend on the caller's seed.
    _, metric = mnist_metrics
    fake = metric.real[:1500].flip(-1)  # mirrored digits: far from the floor, so KID and IS are not ~0 and ~10
    torch.manual_seed(1)
    first, after_first = metric(fake), torch.rand(3)
    torch.manual_seed(2)
    second = metric(fake)
    assert first == second
    torch.manual_seed(1)
    assert torch.equal(torch.rand(3), after_first), "scoring drew from torch's global generator"


def test_stacked_mnist_modes_known_answers(fake_data):
    data = StackedMNISTDataModule(root=str(fake_data), num_samples=300, num_eval_samples=200, seed=0)
    metric = StackedMNISTModes()
    metric.setup(data)
    one = data.reference_samples("test", 1).repeat(50, 1, 1, 1)  # one image 50 times: one mode
    assert metric(one) == {"modes": 1.0, "reverse_kl": pytest.approx(math.log(1000))}
    # The modes are the per-channel classes: swapping two channels permutes the digits of the mode.
    images = data.reference_samples("test", 40)
    modes = metric.modes(images)
    swapped = metric.modes(images[:, [1, 0, 2]])
    assert torch.equal(swapped, (modes // 10 % 10) * 100 + (modes // 100) * 10 + modes % 10)


@pytest.mark.slow  # classifies 26,000 real Stacked MNIST samples
@needs_mnist
def test_stacked_mnist_floor_covers_the_modes():
    data = StackedMNISTDataModule(root=REAL_DATA, num_samples=10_000, num_eval_samples=100, seed=0)
    metric = StackedMNISTModes()
    metric.setup(data)
    floor = metric.floor(10_000)  # real stacked images: almost every mode, a near-uniform histogram
    assert floor["modes"] >= 990 and floor["reverse_kl"] < 0.1
