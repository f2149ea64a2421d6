"""R3GAN's networks (Huang et al. 2024, "The GAN is dead; long live the GAN!"): a modern ResNet with no
normalisation, made stable by its initialisation rather than by norms.

Each residual block is a 1x1 convolution that widens ``expansion`` times, a grouped 3x3 convolution
(``cardinality`` groups), and a 1x1 convolution back, with a learned bias and LeakyReLU(0.2) before each of the last
two; the last convolution starts at zero, the others at ``gain / sqrt(fan_in)`` scaled by ``L ** -1/4`` for ``L``
blocks in all (fix-up's rule), so the network starts as its skip paths. Resampling is linear interpolation (the
``[1, 2, 1]`` filter), a 1x1 convolution changing the width where stages differ. G starts from a learned
``base x base`` basis modulated by a linear map of the noise and ends with a 1x1 convolution (no Tanh); D starts
with a 1x1 convolution and ends with a depthwise ``base x base`` convolution and a linear score.

Sized from ``data_shape`` (square, side ``base * 2**k``, base 4 or 7): one stage per resolution, ``base`` to the
side. R3GAN's CIFAR-10 networks: ``widths [768, 768, 768, 768]``, ``cardinality 96``, ``blocks 2``, ``expansion 2``,
noise 64. Conditional as R3GAN's: G concatenates a learned label embedding to the noise (``condition: concat``), D
projects its last features on a label embedding (``condition: projection``).
"""

import math
from collections.abc import Sequence
from typing import Literal, Optional

import torch
from jsonargparse.typing import NonNegativeInt, PositiveInt
from torch import Tensor, nn
from torch.nn import functional as F

from gan_manual.errors import ConfigError
from gan_manual.labels import check_condition
from gan_manual.nets.sizes import doublings

#: LeakyReLU(0.2)'s gain: the scale that keeps a signal's variance through it.
GAIN = math.sqrt(2 / (1 + 0.2**2))


def _msr(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """Weights ~ N(0, gain^2 / fan_in), no bias (R3GAN's initialisation)."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    return layer


def _conv(c_in: int, c_out: int, kernel: int = 1, groups: int = 1, gain: float = 1.0) -> nn.Conv2d:
    return _msr(nn.Conv2d(c_in, c_out, kernel, padding=(kernel - 1) // 2, groups=groups, bias=False), gain)


class BiasedActivation(nn.Module):
    """A learned bias per channel, then LeakyReLU(0.2)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x + self.bias.to(x.dtype).view(1, -1, 1, 1), 0.2)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, cardinality: int, expansion: int, total_blocks: int) -> None:
        super().__init__()
        wide, gain = channels * expansion, GAIN * total_blocks ** -0.25  # 3 layers: L ** (-1 / (2 * 3 - 2))
        self.body = nn.Sequential(_conv(channels, wide, gain=gain), BiasedActivation(wide),
                                  _conv(wide, wide, 3, cardinality, gain), BiasedActivation(wide),
                                  _conv(wide, channels, gain=0.0))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def _filter(channels: int, like: Tensor) -> Tensor:
    """The ``[1, 2, 1]`` filter in 2D, normalised, one per channel: ``(channels, 1, 3, 3)``."""
    f = torch.tensor([1.0, 2.0, 1.0], dtype=like.dtype, device=like.device)
    return (f[:, None] * f[None, :] / 16).expand(channels, 1, 3, 3)


def upsample(x: Tensor) -> Tensor:
    """``(B, C, H, W)`` -> ``(B, C, 2H, 2W)`` by linear interpolation: zeros between the pixels, then the filter (x4)."""
    b, c, h, w = x.shape
    stuffed = x.new_zeros(b, c, 2 * h, 2 * w)
    stuffed[:, :, ::2, ::2] = x
    return F.conv2d(stuffed, 4 * _filter(c, x), padding=1, groups=c)


def downsample(x: Tensor) -> Tensor:
    """``(B, C, H, W)`` -> ``(B, C, H/2, W/2)``: the filter, then every second pixel."""
    return F.conv2d(x, _filter(x.shape[1], x), stride=2, padding=1, groups=x.shape[1])


class R3GANGenerator(nn.Module):
    """Noise ``(B, latent_dim)`` (and labels ``(B,)`` if conditional) -> images ``(B, *data_shape)``, unbounded.

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        latent_dim: Size of the noise vector (R3GAN's CIFAR-10: 64).
        widths: Channels of each stage, from the smallest resolution (``base``) up, one per resolution.
        cardinality: Groups of each block's 3x3 convolution.
        blocks: Residual blocks per stage.
        expansion: How much each block widens inside.
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional; ``concat``: a learned ``latent_dim``-wide label embedding joins the noise.
    """

    def __init__(self, data_shape: Sequence[int] = (3, 32, 32), latent_dim: PositiveInt = 64,
                 widths: Sequence[PositiveInt] = (768, 768, 768, 768), cardinality: PositiveInt = 96,
                 blocks: PositiveInt = 2, expansion: PositiveInt = 2, num_classes: NonNegativeInt = 0,
                 condition: Optional[Literal["concat"]] = None) -> None:
        super().__init__()
        self.latent_dim, self.data_shape = latent_dim, tuple(data_shape)
        self.num_classes = check_condition("generator", condition, num_classes)
        base = _check_widths("generator", data_shape, widths)
        total = blocks * len(widths)
        self.embed = nn.Embedding(self.num_classes, latent_dim) if self.num_classes else None
        self.basis = nn.Parameter(torch.randn(widths[0], base, base))
        self.modulation = _msr(nn.Linear(2 * latent_dim if self.num_classes else latent_dim, widths[0], bias=False))
        self.widen = nn.ModuleList([_conv(a, b) if a != b else nn.Identity() for a, b in zip(widths, widths[1:])])
        self.stages = nn.ModuleList([nn.Sequential(*(ResidualBlock(w, cardinality, expansion, total)
                                                     for _ in range(blocks))) for w in widths])
        self.to_image = _conv(widths[-1], data_shape[0])

    def forward(self, z: Tensor, y: Optional[Tensor] = None) -> Tensor:
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], dim=1)
        x = self.stages[0](self.basis.unsqueeze(0) * self.modulation(z)[:, :, None, None])
        for widen, stage in zip(self.widen, self.stages[1:]):
            x = stage(upsample(widen(x)))
        return self.to_image(x)


class R3GANDiscriminator(nn.Module):
    """Images ``(B, *data_shape)`` (and labels ``(B,)`` if conditional) -> raw scores ``(B,)``.

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        widths: Channels of each stage from the largest resolution down (R3GAN's D mirrors G: G's widths reversed).
        cardinality: Groups of each block's 3x3 convolution.
        blocks: Residual blocks per stage.
        expansion: How much each block widens inside.
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional; ``projection``: the score is the inner product of D's last features with a
            learned label embedding (R3GAN's conditional D).
    """

    def __init__(self, data_shape: Sequence[int] = (3, 32, 32), widths: Sequence[PositiveInt] = (768, 768, 768, 768),
                 cardinality: PositiveInt = 96, blocks: PositiveInt = 2, expansion: PositiveInt = 2,
                 num_classes: NonNegativeInt = 0, condition: Optional[Literal["projection"]] = None) -> None:
        super().__init__()
        self.num_classes = check_condition("discriminator", condition, num_classes)
        base = _check_widths("discriminator", data_shape, widths)
        total = blocks * len(widths)
        self.from_image = _conv(data_shape[0], widths[0])
        self.stages = nn.ModuleList([nn.Sequential(*(ResidualBlock(w, cardinality, expansion, total)
                                                     for _ in range(blocks))) for w in widths])
        self.widen = nn.ModuleList([_conv(a, b) if a != b else nn.Identity() for a, b in zip(widths, widths[1:])])
        last = widths[-1]
        self.basis = _msr(nn.Conv2d(last, last, base, groups=last, bias=False))  # depthwise, base x base -> 1 x 1
        outputs = last if self.num_classes else 1
        self.score = _msr(nn.Linear(last, outputs, bias=False))
        self.embed = None
        if self.num_classes:
            self.embed = nn.Embedding(self.num_classes, last)
            nn.init.normal_(self.embed.weight, 0.0, 1 / math.sqrt(last))

    def forward(self, x: Tensor, y: Optional[Tensor] = None) -> Tensor:
        x = self.from_image(x)
        for stage, widen in zip(self.stages, self.widen):
            x = widen(downsample(stage(x)))
        out = self.score(self.basis(self.stages[-1](x)).flatten(1))
        return out.squeeze(1) if self.embed is None else (out * self.embed(y)).sum(1)


def _check_widths(role: str, data_shape: Sequence[int], widths: Sequence[int]) -> int:
    """The base side (4 or 7) of ``data_shape``; a ConfigError unless ``widths`` has one entry per resolution."""
    base, k = doublings(data_shape, role, "R3GAN", least=0)
    if len(widths) != k + 1:
        raise ConfigError(f"model.{role}: R3GAN's nets take one width per resolution from {base} to "
                          f"{data_shape[1]}, {k + 1} here; got {len(widths)} ({list(widths)})")
    return base
