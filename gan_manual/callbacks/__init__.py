"""Callbacks of our own; everything else (LR monitor, progress bar, loggers) is Lightning's."""

from gan_manual.callbacks.checkpoint import ResumeCheckpoint
from gan_manual.callbacks.evaluate import Evaluate
from gan_manual.callbacks.guard import DivergenceError, DivergenceGuard
from gan_manual.callbacks.learning_rates import LearningRates
from gan_manual.callbacks.memory_format import ChannelsLast
from gan_manual.callbacks.samples import ImageGrid, PointCloud, PredictionWriter, SampleWriter

__all__ = [
    "ChannelsLast", "DivergenceError", "DivergenceGuard", "Evaluate", "ImageGrid", "LearningRates", "PointCloud",
    "PredictionWriter", "ResumeCheckpoint", "SampleWriter",
]
