"""PacGAN's packing (Lin et al. 2018): a discriminator judges several samples at once, all real or all fake; a
generator that drops modes makes packs that look alike, which D learns to spot."""

from torch import Tensor


def pack(x: Tensor, k: int) -> Tensor:
    """Samples ``(B, C, ...)`` -> packs ``(B / k, k * C, ...)`` of ``k`` consecutive samples, stacked along dim 1."""
    if x.shape[0] % k:
        raise ValueError(f"discriminator.pack={k} needs batches of a multiple of {k}, got {x.shape[0]}")
    return x.reshape(x.shape[0] // k, -1, *x.shape[2:])
