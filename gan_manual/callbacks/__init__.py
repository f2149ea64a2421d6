"""Callbacks a config lists by choice; everything else (LR monitor, progress bar, loggers) is Lightning's. The
ones every run has are the CLI's: :mod:`gan_manual.checkpoint`, :mod:`gan_manual.guard` and
:mod:`gan_manual.prediction`."""

from gan_manual.callbacks.evaluate import Evaluate
from gan_manual.callbacks.learning_rates import LearningRates
from gan_manual.callbacks.memory_format import ChannelsLast
from gan_manual.callbacks.progress import ProgressBar
from gan_manual.callbacks.ramps import Ramps
from gan_manual.callbacks.samples import ImageGrid, PointCloud, SampleWriter
# Still importable from here, as before they moved to modules of their own (configs of earlier versions name them).
from gan_manual.checkpoint import ResumeCheckpoint
from gan_manual.errors import DivergenceError
from gan_manual.guard import DivergenceGuard
from gan_manual.prediction import PredictionWriter

__all__ = [
    "ChannelsLast", "DivergenceError", "DivergenceGuard", "Evaluate", "ImageGrid", "LearningRates", "PointCloud",
    "PredictionWriter", "ProgressBar", "Ramps", "ResumeCheckpoint", "SampleWriter",
]
