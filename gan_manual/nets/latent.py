"""A categorical code in front of a generator: the noise becomes a draw from a mixture of Gaussians.

A continuous network fed connected noise (one Gaussian) has to put some samples on the paths between separated
modes. With a uniform code of K values beside the noise, the first Linear layer learns one mean per value, so the
prior is a K-component Gaussian mixture (the idea of DeLiGAN, Gurumurthy et al. 2017, and BourGAN, Xiao et al.
2018), and the network can leave gaps between components.

The code is the same wherever a shipped generator takes one (``code_values: K``, :func:`code_of`); what the
network does with it is its own, as with class labels: the MLP feeds it in (a mixture prior, here), DCGAN's
generator picks one of K sets of BatchNorm gains by it.
"""

import torch
from jsonargparse.typing import PositiveFloat, PositiveInt
from torch import Tensor, nn


class CategoricalCode(nn.Module):
    """Standard normal noise ``(B, d)`` -> ``(B, K + d - 1)``: the one-hot code, then noise times ``noise_std``.

    The code comes from the first coordinate through the normal CDF, so it is uniform over the K values and a
    function of the system's seeded noise (the same samples for the same seed, nothing extra to checkpoint).

    Args:
        num_values: K, the values of the code (components of the mixture).
        noise_std: Scale of the remaining ``d - 1`` coordinates: the spread of each component before the network.
    """

    def __init__(self, num_values: PositiveInt, noise_std: PositiveFloat = 0.1) -> None:
        super().__init__()
        self.num_values = num_values
        self.noise_std = noise_std

    def forward(self, z: Tensor) -> Tensor:
        """``z: (B, d)`` standard normal -> ``(B, num_values + d - 1)``."""
        one_hot = nn.functional.one_hot(code_of(z, self.num_values), self.num_values).to(z.dtype)
        return torch.cat([one_hot, self.noise_std * z[:, 1:]], dim=1)

    def extra_repr(self) -> str:
        return f"num_values={self.num_values}, noise_std={self.noise_std}"


def code_of(z: Tensor, num_values: int) -> Tensor:
    """The code of standard normal noise ``z: (B, d)``, ``(B,)`` int64 uniform over ``num_values``: its first
    coordinate through the normal CDF."""
    uniform = torch.special.ndtr(z[:, 0])
    return (uniform * num_values).long().clamp_(max=num_values - 1)
