"""DCGAN (Radford et al. 2016): a transposed-convolution generator and a strided-convolution discriminator, sized
from ``data_shape``: square images whose side is 4 or 7 times a power of two (28, 32, 64, 128, ...).

With side ``s = base * 2**k`` (base 4 or 7), G projects the noise to ``width * 2**(k-1)`` maps of ``base x base``
and doubles the resolution k times, halving the maps, to ``C x s x s``; D mirrors it. 28x28 with width 64:
G 100 -> 128x7x7 -> 64x14x14 -> 1x28x28; D 1x28x28 -> 64x14x14 -> 128x7x7 -> 1 score.
"""

from collections.abc import Sequence
from typing import Literal, Optional

import torch
from jsonargparse.typing import NonNegativeInt, PositiveInt
from torch import Tensor, nn

from gan_manual.errors import ConfigError
from gan_manual.labels import check_condition
from gan_manual.nets.conditioning import (DiscriminatorCondition, DiscriminatorHead, GeneratorCondition,
                                          conditional_norms, run)
from gan_manual.nets.latent import code_of
from gan_manual.nets.norms import maybe_spectral_norm
from gan_manual.nets.packing import pack as pack_samples
from gan_manual.nets.sizes import doublings


class DCGANGenerator(nn.Module):
    """Noise ``(B, latent_dim)`` (and labels ``(B,)`` if conditional) -> images ``(B, *data_shape)`` in [-1, 1].

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        latent_dim: Size of the noise vector.
        width: Feature maps of the last hidden stage; each earlier stage has twice as many.
        upsample: How each stage doubles the side: ``transposed``, DCGAN's 4x4 stride-2 transposed convolution;
            ``nearest``, nearest-neighbour resizing then a 3x3 convolution (Odena et al. 2016), which cannot make
            the checkerboard patterns of uneven kernel overlap, at about twice the cost.
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional. ``batchnorm``: every BatchNorm takes a per-class gain and bias;
            ``concat``: a learned ``latent_dim``-wide embedding of the label joins the noise
            (:mod:`gan_manual.nets.conditioning`).
        code_values: 0: plain noise. K > 0 (unconditional only): the noise's first coordinate also picks one of K
            values, uniformly (:func:`~gan_manual.nets.latent.code_of`), and every BatchNorm takes that value's
            gain and bias: K generators sharing their weights but for the norms, a mixture for data of separate
            modes (labels play this part in a conditional generator).
    """

    def __init__(self, data_shape: Sequence[int] = (1, 28, 28), latent_dim: PositiveInt = 100,
                 width: PositiveInt = 64, upsample: Literal["transposed", "nearest"] = "transposed",
                 num_classes: NonNegativeInt = 0, condition: GeneratorCondition = None,
                 code_values: NonNegativeInt = 0) -> None:
        super().__init__()
        if code_values and condition is not None:
            raise ConfigError("model.generator: code_values and condition both choose the BatchNorm gains; use one")
        self.code_values = code_values
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        self.num_classes = check_condition("generator", condition, num_classes)
        self.condition = condition
        self.base, k = doublings(data_shape, "generator", "DCGAN")
        self.maps = width * 2 ** (k - 1)
        inputs = 2 * latent_dim if condition == "concat" else latent_dim
        self.project = nn.Sequential(
            nn.Linear(inputs, self.maps * self.base**2, bias=False), nn.BatchNorm1d(self.maps * self.base**2),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        maps = self.maps
        for _ in range(k - 1):
            layers += [*_double(maps, maps // 2, upsample, bias=False), nn.BatchNorm2d(maps // 2), nn.ReLU()]
            maps //= 2
        layers += [*_double(maps, self.data_shape[0], upsample, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        if condition == "batchnorm" or code_values:
            conditional_norms(self.project, num_classes or code_values)
            conditional_norms(self.net, num_classes or code_values)
        elif condition == "concat":
            self.embed = nn.Embedding(num_classes, latent_dim)

    def forward(self, z: Tensor, y: Optional[Tensor] = None) -> Tensor:
        """``z: (B, latent_dim)``, labels ``y: (B,)`` if conditional -> ``(B, C, H, W)``."""
        if self.condition == "concat":
            z = torch.cat([z, self.embed(y)], dim=1)
        if self.code_values:
            y = code_of(z, self.code_values)
        h = run(self.project, z, y).view(z.shape[0], self.maps, self.base, self.base)
        return run(self.net, h, y)


def _double(channels_in: int, channels_out: int, upsample: str, bias: bool) -> list[nn.Module]:
    """Layers that double the side of ``(B, channels_in, H, W)`` maps into ``(B, channels_out, 2H, 2W)``."""
    if upsample == "transposed":
        return [nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels_in, channels_out, 3, 1, 1, bias=bias)]


class DCGANDiscriminator(nn.Module):
    """Images ``(B, *data_shape)`` (and labels ``(B,)`` if conditional) -> raw scores ``(B,)``: no sigmoid, the
    loss decides what they mean; with ``condition: classifier``, ``(scores, class_logits)``.

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        width: Feature maps of the first stage; each later stage has twice as many.
        batch_norm: BatchNorm after every convolution but the first (DCGAN's). Off for a WGAN-GP critic, whose
            penalty is per sample, and usually with spectral norm.
        spectral_norm: Spectral normalisation of every layer's weight (Miyato et al. 2018).
        negative_slope: LeakyReLU slope.
        pack: PacGAN (Lin et al. 2018): judge this many consecutive samples at once, stacked along the channels
            (as PacGAN's Stacked MNIST experiments did), all real or all fake; scores ``(B / pack,)``.
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional. ``projection``: the class enters as an inner product with the flattened
            last maps (Miyato & Koyama 2018); ``classifier``: ACGAN's class-logit head on them
            (:mod:`gan_manual.nets.conditioning`).
    """

    def __init__(self, data_shape: Sequence[int] = (1, 28, 28), width: PositiveInt = 64, batch_norm: bool = True,
                 spectral_norm: bool = False, negative_slope: float = 0.2, pack: PositiveInt = 1,
                 num_classes: NonNegativeInt = 0, condition: DiscriminatorCondition = None) -> None:
        super().__init__()
        base, k = doublings(data_shape, "discriminator", "DCGAN")
        self.num_classes = check_condition("discriminator", condition, num_classes, pack)
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
        if condition is not None:
            self.head = DiscriminatorHead(condition, maps_in * base**2, num_classes, spectral_norm)

    def forward(self, x: Tensor, y: Optional[Tensor] = None) -> Tensor | tuple[Tensor, Tensor]:
        """``x: (B, C, H, W)``, labels ``y: (B,)`` if conditional -> ``(B / pack,)`` (and ``(B, num_classes)``)."""
        if not self.num_classes:
            return self.net(pack_samples(x, self.pack)).squeeze(1)
        features = self.net[:-1](x)
        return self.head(features, self.net[-1](features).squeeze(1), y)
