"""Callbacks of our own; everything else (LR monitor, progress bar, loggers) is Lightning's."""

from gan_manual.callbacks.checkpoint import ResumeCheckpoint
from gan_manual.callbacks.evaluate import Evaluate
from gan_manual.callbacks.guard import DivergenceGuard
from gan_manual.callbacks.learning_rates import LearningRates
from gan_manual.callbacks.memory_format import ChannelsLast
from gan_manual.callbacks.samples import ImageGrid, PointCloud, PredictionWriter, SampleWriter
from gan_manual.errors import DivergenceError  # still importable here, as before it moved to gan_manual.errors

__all__ = [
    "ChannelsLast", "DivergenceError", "DivergenceGuard", "Evaluate", "ImageGrid", "LearningRates", "PointCloud",
    "PredictionWriter", "ResumeCheckpoint", "SampleWriter",
]
