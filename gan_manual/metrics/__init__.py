"""Sample-quality metrics: image metrics with a shipped classifier, Inception FID from a weights file the user
supplies, mode metrics on the toy mixtures and Stacked MNIST."""

from gan_manual.metrics.base import SampleMetric
from gan_manual.metrics.images import ClassifierMetrics
from gan_manual.metrics.inception import InceptionFID
from gan_manual.metrics.modes import ModeMetrics, mode_metrics
from gan_manual.metrics.stacked import StackedMNISTModes

__all__ = ["ClassifierMetrics", "InceptionFID", "ModeMetrics", "SampleMetric", "StackedMNISTModes", "mode_metrics"]
