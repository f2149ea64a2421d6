"""Weight normalisations the shipped discriminators offer."""

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def maybe_spectral_norm(layer: nn.Module, on: bool) -> nn.Module:
    """``layer`` with its weight spectrally normalised (one power iteration per training forward pass; torch's
    parametrization, so the normalised weight is what is saved and averaged) if ``on``, else as it is."""
    return spectral_norm(layer) if on else layer
