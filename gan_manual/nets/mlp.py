"""The notebook's fully connected generator and discriminator, sized by ``data_shape``.

Images use ``data_shape=(C, H, W)``; the 2D toy data uses ``data_shape=(2,)``.
"""

import math
from collections.abc import Sequence

from torch import Tensor, nn


class MLPGenerator(nn.Module):
    """Maps noise ``z: (B, latent_dim)`` to samples ``(B, *data_shape)``.

    Every generator used by :class:`gan_manual.GAN` exposes ``latent_dim``: the system draws ``z`` itself.

    Args:
        latent_dim: Size of the noise vector.
        hidden_dims: Width of each hidden block (Linear, optional BatchNorm1d, LeakyReLU).
        data_shape: Shape of one sample; linked from the datamodule by the CLI.
        batch_norm: BatchNorm1d in every hidden block except the first, as in the notebook.
        tanh: End with Tanh, for data scaled to [-1, 1]; off for unbounded toy data.
        negative_slope: LeakyReLU slope.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        hidden_dims: Sequence[int] = (128, 256, 512, 1024),
        data_shape: Sequence[int] = (1, 28, 28),
        batch_norm: bool = True,
        tanh: bool = True,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        layers: list[nn.Module] = []
        width = latent_dim
        for i, hidden in enumerate(hidden_dims):
            layers.append(nn.Linear(width, hidden))
            if batch_norm and i > 0:
                # The notebook passed 0.8 positionally, which set BatchNorm's eps, not its momentum: not copied.
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
    """Maps samples ``(B, *data_shape)`` to one logit each, ``(B,)``.

    No sigmoid: the loss decides what the output means (BCE-with-logits, Wasserstein critic, hinge, ...).

    Args:
        data_shape: Shape of one sample; linked from the datamodule by the CLI.
        hidden_dims: Width of each hidden layer (Linear, LeakyReLU).
        negative_slope: LeakyReLU slope.
    """

    def __init__(
        self,
        data_shape: Sequence[int] = (1, 28, 28),
        hidden_dims: Sequence[int] = (512, 256),
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(data_shape)
        for hidden in hidden_dims:
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(negative_slope)]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``x: (B, *data_shape)`` -> logits ``(B,)``."""
        return self.net(x).squeeze(1)
