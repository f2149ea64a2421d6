"""DCGAN (Radford et al. 2016): a transposed-convolution generator and a strided-convolution discriminator, sized
from ``data_shape``: square images whose side is 4 or 7 times a power of two (28, 32, 64, 128, ...).

With side ``s = base * 2**k`` (base 4 or 7), G projects the noise to ``width * 2**(k-1)`` maps of ``base x base``
and doubles the resolution k times, halving the maps, to ``C x s x s``; D mirrors it. 28x28 with width 64:
G 100 -> 128x7x7 -> 64x14x14 -> 1x28x28; D 1x28x28 -> 64x14x14 -> 128x7x7 -> 1 score.
"""

from collections.abc import Sequence
from typing import Literal

from jsonargparse.typing import PositiveInt
from torch import Tensor, nn

from gan_manual.nets.norms import maybe_spectral_norm
from gan_manual.nets.packing import pack as pack_samples
from gan_manual.nets.sizes import doublings


class DCGANGenerator(nn.Module):
    """Noise ``(B, latent_dim)`` -> images ``(B, *data_shape)`` in [-1, 1] (Tanh).

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        latent_dim: Size of the noise vector.
        width: Feature maps of the last hidden stage; each earlier stage has twice as many.
        upsample: How each stage doubles the side: ``transposed``, DCGAN's 4x4 stride-2 transposed convolution;
            ``nearest``, nearest-neighbour resizing then a 3x3 convolution (Odena et al. 2016), which cannot make
            the checkerboard patterns of uneven kernel overlap, at about twice the cost.
    """

    def __init__(self, data_shape: Sequence[int] = (1, 28, 28), latent_dim: PositiveInt = 100,
                 width: PositiveInt = 64, upsample: Literal["transposed", "nearest"] = "transposed") -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        self.base, k = doublings(data_shape, "generator", "DCGAN")
        self.maps = width * 2 ** (k - 1)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, self.maps * self.base**2, bias=False), nn.BatchNorm1d(self.maps * self.base**2),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        maps = self.maps
        for _ in range(k - 1):
            layers += [*_double(maps, maps // 2, upsample, bias=False), nn.BatchNorm2d(maps // 2), nn.ReLU()]
            maps //= 2
        layers += [*_double(maps, self.data_shape[0], upsample, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """``z: (B, latent_dim)`` -> ``(B, C, H, W)``."""
        return self.net(self.project(z).view(z.shape[0], self.maps, self.base, self.base))


def _double(channels_in: int, channels_out: int, upsample: str, bias: bool) -> list[nn.Module]:
    """Layers that double the side of ``(B, channels_in, H, W)`` maps into ``(B, channels_out, 2H, 2W)``."""
    if upsample == "transposed":
        return [nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels_in, channels_out, 3, 1, 1, bias=bias)]


class DCGANDiscriminator(nn.Module):
    """Images ``(B, *data_shape)`` -> raw scores ``(B,)``: no sigmoid, the loss decides what they mean.

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        width: Feature maps of the first stage; each later stage has twice as many.
        batch_norm: BatchNorm after every convolution but the first (DCGAN's). Off for a WGAN-GP critic, whose
            penalty is per sample, and usually with spectral norm.
        spectral_norm: Spectral normalisation of every layer's weight (Miyato et al. 2018).
        negative_slope: LeakyReLU slope.
        pack: PacGAN (Lin et al. 2018): judge this many consecutive samples at once, stacked along the channels
            (as PacGAN's Stacked MNIST experiments did), all real or all fake; scores ``(B / pack,)``.
    """

    def __init__(self, data_shape: Sequence[int] = (1, 28, 28), width: PositiveInt = 64, batch_norm: bool = True,
                 spectral_norm: bool = False, negative_slope: float = 0.2, pack: PositiveInt = 1) -> None:
        super().__init__()
        base, k = doublings(data_shape, "discriminator", "DCGAN")
        self.pack = pack
        layers: list[nn.Module] = []
        maps_in, maps = int(data_shape[0]) * pack, width
        for stage in range(k):
            layers.append(maybe_spectral_norm(nn.Conv2d(maps_in, maps, 4, 2, 1, bias=stage == 0 or not batch_norm),
                                              spectral_norm))
            if batch_norm and stage > 0:
                layers.append(nn.BatchNorm2d(maps))
            layers.append(nn.LeakyReLU(negative_slope))
            maps_in, maps = maps, maps * 2
        layers += [nn.Flatten(), maybe_spectral_norm(nn.Linear(maps_in * base**2, 1), spectral_norm)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``x: (B, C, H, W)`` -> ``(B / pack,)``."""
        return self.net(pack_samples(x, self.pack)).squeeze(1)
