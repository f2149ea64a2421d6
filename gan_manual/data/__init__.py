"""Datamodules. Each sets ``data_shape`` and serves ``(samples, labels)`` batches from memory."""

from gan_manual.data.base import InMemoryDataModule
from gan_manual.data.cifar import CIFAR10DataModule
from gan_manual.data.clusters import KMeansLabels
from gan_manual.data.folder import ImageFolderDataModule
from gan_manual.data.mnist import FashionMNISTDataModule, MNISTDataModule
from gan_manual.data.stacked import StackedMNISTDataModule
from gan_manual.data.toy import GaussianMixtureDataModule, GridDataModule, RingDataModule

__all__ = [
    "CIFAR10DataModule",
    "FashionMNISTDataModule",
    "GaussianMixtureDataModule",
    "GridDataModule",
    "ImageFolderDataModule",
    "InMemoryDataModule",
    "KMeansLabels",
    "MNISTDataModule",
    "RingDataModule",
    "StackedMNISTDataModule",
]
