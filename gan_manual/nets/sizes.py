"""The image sizes the shipped convolutional nets are built for: square, side ``base * 2**k`` with base 4 or 7."""

from collections.abc import Sequence

from gan_manual.errors import ConfigError


def doublings(data_shape: Sequence[int], role: str, family: str, least: int = 1) -> tuple[int, int]:
    """``(base, k)`` with ``side = base * 2**k``, base 4 or 7 and ``k >= least``; else a ConfigError naming
    ``model.<role>``, the net ``family`` and the sides it takes."""
    if len(data_shape) == 3 and data_shape[1] == data_shape[2]:
        side = int(data_shape[1])
        for base in (4, 7):
            k = 0
            while base * 2**k < side:
                k += 1
            if base * 2**k == side and k >= least:
                return base, k
    sides = ", ".join(map(str, sorted(b * 2**k for b in (4, 7) for k in range(least, least + 4))[:7]))
    raise ConfigError(f"model.{role}: {family} nets take square images whose side is 4 or 7 times a power of 2, "
                      f"that is {sides}, ..., not data_shape {tuple(data_shape)}")
