"""Callbacks of our own; everything else (checkpoints, LR monitor, progress bar) is Lightning's."""

from gan_manual.callbacks.samples import ImageGrid, PointCloud, SampleWriter

__all__ = ["ImageGrid", "PointCloud", "SampleWriter"]
