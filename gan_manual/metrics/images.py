"""Image metrics with the shipped classifier: FID, KID, classifier IS (torchmetrics), classes covered and the KL
of the class histogram to uniform, k-NN precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem
et al. 2020); for a conditional
generator also the share of samples classified as the class they were made for, and FID per class."""

from typing import Literal, Optional

import lightning as L
import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor, nn
from torch.nn.functional import normalize
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from gan_manual.errors import ConfigError, require_data_shape
from gan_manual.metrics.base import SampleMetric, kl_to_uniform
from gan_manual.metrics.classifier import load_classifier
from gan_manual.metrics.knn import density_coverage, precision_recall


#: The torchvision dataset each shipped classifier was trained on.
DATASETS = {"mnist": "MNIST"}


class ClassifierMetrics(SampleMetric):
    """Scores ``(N, 1, 28, 28)`` images in [-1, 1] against the datamodule's test split.

    Given the labels a conditional generator was asked for, it adds ``class_accuracy`` (the share of samples the
    classifier assigns to their label) and ``class_fid`` (FID between each class's samples and that class's test
    images, the mean over the classes), unless the data's labels are not its classes (cluster ids).

    Args:
        classifier: Shipped weights to use: ``mnist`` (the only ones shipped).
        k: Neighbours for precision/recall (the paper's 3).
        density_k: Neighbours for density/coverage (Naeem et al.'s 5).
        min_class_share: A class counts as covered when at least this share of the samples is classified as it.
        kid_subset_size: Size of KID's random subsets (at most the sample count).
        batch_size: Images per forward pass of the classifier.
    """

    def __init__(
        self,
        classifier: Literal["mnist"] = "mnist",
        k: PositiveInt = 3,
        density_k: PositiveInt = 5,
        min_class_share: float = 0.01,
        kid_subset_size: PositiveInt = 1000,
        batch_size: PositiveInt = 1000,
    ) -> None:
        self.classifier = classifier
        self.net = load_classifier(classifier)
        self.k = k
        self.density_k = density_k
        self.min_class_share = min_class_share
        self.kid_subset_size = kid_subset_size
        self.batch_size = batch_size
        self.real: Tensor = torch.empty(0)
        self.real_labels: Tensor = torch.empty(0, dtype=torch.int64)
        self._real_features: Tensor = torch.empty(0)
        self._labels_are_classes = True

    def check(self, datamodule: L.LightningDataModule) -> None:
        require_data_shape(datamodule, lambda shape: shape == (1, 28, 28),
                           "ClassifierMetrics scores (1, 28, 28) images", " (Stacked MNIST: StackedMNISTModes)")
        dataset = getattr(getattr(datamodule, "dataset_class", None), "__name__", type(datamodule).__name__)
        if DATASETS[self.classifier] != dataset:
            raise ConfigError(
                f"trainer.callbacks: ClassifierMetrics(classifier={self.classifier!r}) scores {DATASETS[self.classifier]}"
                f" images, the data is {dataset}; a classifier is shipped for {' and '.join(DATASETS.values())} only"
            )

    def setup(self, datamodule: L.LightningDataModule) -> None:
        super().setup(datamodule)
        self.real = datamodule.reference_samples("test")
        self.real_labels = datamodule.reference_labels("test")
        self._labels_are_classes = getattr(datamodule, "labels_are_classes", True)
        self._real_features = self._features(self.real)  # once: the reference does not change

    def names(self, conditional: bool = False) -> tuple[str, ...]:
        unconditional = ("fid", "kid", "kid_std", "inception_score", "inception_score_std", "classes_covered",
                         "class_kl", "precision", "recall", "density", "coverage")
        return unconditional + (("class_accuracy", "class_fid") if conditional else ())

    def describe(self, num_samples: int) -> str:
        return (f"{num_samples} samples vs the {len(self.real)} test images; features: gan_manual LeNet "
                f"({self.classifier}, {self.net.num_features}-d penultimate layer; IS from its logits)")

    @torch.no_grad()
    def __call__(self, fake: Tensor, labels: Optional[Tensor] = None) -> dict[str, float]:
        features = self._features(fake.float().cpu().clamp(-1, 1))
        figures = self._score(features)
        if labels is not None and self._labels_are_classes:
            figures.update(self._conditional(features, labels.cpu()))
        return figures

    @torch.no_grad()
    def _score(self, fake: Tensor) -> dict[str, float]:
        """Figures from penultimate-layer features ``(N, 128)`` of the samples."""
        real = self._real_features
        # The network's body runs once per image set; torchmetrics gets the rest of it as its `feature` module:
        # nothing more for FID/KID, the classifier's head for IS.
        fid = FrechetInceptionDistance(feature=_Computed(self.net.num_features))
        kid = KernelInceptionDistance(feature=_Computed(self.net.num_features),
                                      subset_size=min(self.kid_subset_size, len(fake), len(real)))
        inception = InceptionScore(feature=self.net.head, splits=10)
        for metric in (fid, kid):
            metric.update(real, real=True)
            metric.update(fake, real=False)
        inception.update(fake)
        # torchmetrics draws KID's subsets and IS's split order from torch's global generator: a fixed seed in a
        # forked state gives the same figures for the same samples and leaves the caller's random stream alone.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            kid_mean, kid_std = kid.compute()
            is_mean, is_std = inception.compute()
        counts = torch.bincount(self.net.head(fake).argmax(1), minlength=10)
        # On unit-length features: raw LeNet features put pure noise among low-norm real digits (precision 0.94
        # for noise); normalized, noise scores 0.16 and real training images 0.86.
        real_unit, fake_unit = normalize(real, dim=1), normalize(fake, dim=1)
        precision, recall = precision_recall(real_unit, fake_unit, self.k)
        density, coverage = density_coverage(real_unit, fake_unit, self.density_k)
        return {
            "fid": fid.compute().item(),
            "kid": kid_mean.item(),
            "kid_std": kid_std.item(),
            "inception_score": is_mean.item(),
            "inception_score_std": is_std.item(),
            "classes_covered": float((counts.double() / len(fake) >= self.min_class_share).sum()),
            "class_kl": kl_to_uniform(counts),
            "precision": precision,
            "recall": recall,
            "density": density,
            "coverage": coverage,
        }

    def _conditional(self, fake: Tensor, labels: Tensor) -> dict[str, float]:
        """``class_accuracy`` and ``class_fid`` from the samples' features ``(N, 128)`` and their labels ``(N,)``;
        classes with fewer than 2 samples (or test images) have no FID and are left out of the mean."""
        accuracy = (self.net.head(fake).argmax(1) == labels).double().mean().item()
        fids = []
        for c in labels.unique():
            fake_c, real_c = fake[labels == c], self._real_features[self.real_labels == c]
            if len(fake_c) >= 2 and len(real_c) >= 2:
                fid = FrechetInceptionDistance(feature=_Computed(self.net.num_features))
                fid.update(real_c, real=True)
                fid.update(fake_c, real=False)
                fids.append(fid.compute().item())
        return {"class_accuracy": accuracy, "class_fid": sum(fids) / len(fids) if fids else float("nan")}

    def _features(self, images: Tensor) -> Tensor:
        return torch.cat([self.net.features(b) for b in images.split(self.batch_size)])


class _Computed(nn.Module):
    """Features already computed: the identity, with the ``num_features`` torchmetrics asks for."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features
