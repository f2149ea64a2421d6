"""Values that change over training, as R3GAN's schedules do: a start and an end value over a length of training in
batches or in training images, or StyleGAN's moving-average half-life. Each is a pure function of how far training
has come, so a resumed run takes the same values as one never interrupted.
"""

import math
from typing import Literal

from jsonargparse.typing import NonNegativeFloat, PositiveFloat, PositiveInt

from gan_manual.component import Component

#: What a ramp's ``length`` counts: training batches of the run, or training images (batches x batch size x
#: processes), StyleGAN's and R3GAN's unit.
Unit = Literal["batches", "images"]


class Ramp(Component):
    """``start`` at the beginning of training, ``end`` from ``length`` on, shaped in between by :meth:`shape`.

    Args:
        start: The value at the first batch.
        end: The value from ``length`` on.
        length: How long the ramp lasts, in ``unit``.
        unit: ``batches`` or ``images``.
    """

    def __init__(self, start: float, end: float, length: PositiveInt = 1, unit: Unit = "batches") -> None:
        self.start = start
        self.end = end
        self.length = length
        self.unit = unit

    def shape(self, t: float) -> float:
        """The share of the way from ``start`` to ``end`` at ``t``, the fraction of ``length`` done, in [0, 1]."""
        raise NotImplementedError

    def __call__(self, batches: int, images: int) -> float:
        """The value after ``batches`` training batches holding ``images`` training images."""
        done = batches if self.unit == "batches" else images
        return self.start + (self.end - self.start) * self.shape(min(done / self.length, 1.0))


class ConstantRamp(Ramp):
    """``value`` throughout (a ramp where a config expects one, to keep a value fixed)."""

    def __init__(self, value: float) -> None:
        super().__init__(value, value)

    def shape(self, t: float) -> float:
        return 0.0


class LinearRamp(Ramp):
    """From ``start`` to ``end`` in a straight line."""

    def shape(self, t: float) -> float:
        return t


class CosineRamp(Ramp):
    """From ``start`` to ``end`` along half a cosine: slow at both ends (R3GAN's schedules)."""

    def shape(self, t: float) -> float:
        return (1.0 - math.cos(math.pi * t)) / 2.0


class HalfLife(Component):
    """A moving average's decay per update from a half-life in training images: ``0.5 ** (batch_images /
    half_life)`` (StyleGAN's ``ema_kimg``), the half-life capped at ``ramp_up`` times the images seen so far
    (StyleGAN2-ADA's ``ema_rampup``, 0.05), so early averages forget the random start fast.

    Args:
        half_life: Training images over which an update's weight halves (StyleGAN: 10,000 images).
        ramp_up: Cap the half-life at this share of the images seen so far; 0 turns the cap off.
    """

    def __init__(self, half_life: PositiveFloat = 10_000.0, ramp_up: NonNegativeFloat = 0.05) -> None:
        self.half_life = half_life
        self.ramp_up = ramp_up

    def images(self, batches: int, images: int) -> float:
        """The half-life, in images, after ``batches`` batches holding ``images`` images."""
        return min(self.half_life, images * self.ramp_up) if self.ramp_up else self.half_life

    def __call__(self, batches: int, images: int, batch_images: int) -> float:
        """The decay of the update after ``batches`` batches and ``images`` images, each update of
        ``batch_images``."""
        return 0.5 ** (batch_images / max(self.images(batches, images), 1e-8))


class RampedHalfLife(HalfLife):
    """The half-life itself on a ramp, in images (R3GAN's schedule: from 0 to 5 million images over its first 20
    million, along a cosine).

    Args:
        ramp: The half-life in images over training.
    """

    def __init__(self, ramp: Ramp) -> None:
        self.ramp = ramp

    def images(self, batches: int, images: int) -> float:
        return self.ramp(batches, images)
