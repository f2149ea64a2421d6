"""Fully connected generator and discriminator (the 2014 GAN's MLPs), sized by ``data_shape``.

Images use ``data_shape=(C, H, W)``; the 2D toy data uses ``data_shape=(2,)``.
"""

import math
from collections.abc import Sequence

from jsonargparse.typing import NonNegativeInt, PositiveFloat, PositiveInt
from torch import Tensor, nn

from gan_manual.nets.latent import CategoricalCode
from gan_manual.nets.norms import maybe_spectral_norm
from gan_manual.nets.packing import pack as pack_samples


class MLPGenerator(nn.Module):
    """Maps noise ``z: (B, latent_dim)`` to samples ``(B, *data_shape)``.

    Every generator used by :class:`gan_manual.GAN` exposes ``latent_dim``: the system draws ``z`` itself.

    Args:
        latent_dim: Size of the noise vector.
        hidden_dims: Width of each hidden block (Linear, optional BatchNorm1d, LeakyReLU).
        data_shape: Shape of one sample; linked from the datamodule by the CLI.
        batch_norm: BatchNorm1d in every hidden block except the first.
        tanh: End with Tanh, for data scaled to [-1, 1]; off for unbounded toy data.
        negative_slope: LeakyReLU slope.
        code_values: 0: the noise goes in as it is. K > 0: its first coordinate becomes a uniform code of K values
            and the rest is scaled by ``code_noise_std``, a K-component Gaussian-mixture prior
            (:class:`~gan_manual.nets.latent.CategoricalCode`: for data made of separated modes).
        code_noise_std: Spread of each component's noise, with ``code_values`` > 0.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        hidden_dims: Sequence[int] = (128, 256, 512, 1024),
        data_shape: Sequence[int] = (1, 28, 28),
        batch_norm: bool = True,
        tanh: bool = True,
        negative_slope: float = 0.2,
        code_values: NonNegativeInt = 0,
        code_noise_std: PositiveFloat = 0.1,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        layers: list[nn.Module] = []
        width = latent_dim
        if code_values:
            layers.append(CategoricalCode(code_values, code_noise_std))
            width = code_values + latent_dim - 1
        for i, hidden in enumerate(hidden_dims):
            layers.append(nn.Linear(width, hidden))
            if batch_norm and i > 0:
                # Default eps and momentum: BatchNorm1d(hidden, 0.8), a common copy-paste, sets eps to 0.8.
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.LeakyReLU(negative_slope))
            width = hidden
        layers.append(nn.Linear(width, math.prod(self.data_shape)))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """``z: (B, latent_dim)`` -> ``(B, *data_shape)``."""
        return self.net(z).view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """Maps samples ``(B, *data_shape)`` to one logit each, ``(B,)``, or one per pack, ``(B / pack,)``.

    No sigmoid: the loss decides what the output means (BCE-with-logits, Wasserstein critic, hinge, ...).

    Args:
        data_shape: Shape of one sample; linked from the datamodule by the CLI.
        hidden_dims: Width of each hidden layer (Linear, LeakyReLU).
        negative_slope: LeakyReLU slope.
        pack: PacGAN (Lin et al. 2018): judge this many samples at once, concatenated, all real or all fake; a
            generator that drops modes makes packs that look alike, which D learns to spot. Batches must be
            multiples of ``pack``. GP and R1 still penalise each sample's own input gradient, which PacGAN's
            paper did not study.
        spectral_norm: Spectral normalisation of every Linear layer's weight (Miyato et al. 2018).
    """

    def __init__(
        self,
        data_shape: Sequence[int] = (1, 28, 28),
        hidden_dims: Sequence[int] = (512, 256),
        negative_slope: float = 0.2,
        pack: PositiveInt = 1,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.pack = pack
        layers: list[nn.Module] = [nn.Flatten()]  # a pack (B / pack, pack * C, H, W) -> one row per pack
        width = math.prod(data_shape) * pack
        for hidden in hidden_dims:
            layers += [maybe_spectral_norm(nn.Linear(width, hidden), spectral_norm), nn.LeakyReLU(negative_slope)]
            width = hidden
        layers.append(maybe_spectral_norm(nn.Linear(width, 1), spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``x: (B, *data_shape)`` -> logits ``(B / pack,)``."""
        return self.net(pack_samples(x, self.pack)).squeeze(1)
