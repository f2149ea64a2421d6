"""ResNet generator and discriminator of SNGAN (Miyato et al. 2018), in the 32x32 layout of its CIFAR-10 networks
as mimicry's ``sngan_32`` (Lee & Town 2020) builds them: bilinear upsampling in G, a global sum pool in D, the
Chainer reference's initialisation.

Sized from ``data_shape``: square images whose side is ``base * 2**k`` (base 4 or 7, k >= 2: 16, 28, 32, 56, 64, ...).
G: noise -> ``width x base x base`` -> k up-blocks -> BN, ReLU, 3x3 conv, Tanh. D: an "optimized" down-block,
k - 2 more down-blocks (to ``2 * base``), two blocks at that size, ReLU, sum over space, linear. 32x32 with the
defaults: G 128 -> 256x4x4 -> 256x8x8 -> 256x16x16 -> 256x32x32 -> 3x32x32; D 3x32x32 -> 128x16x16 -> 128x8x8
-> 128x8x8 -> 128x8x8 -> 128 -> 1 score.
"""

import math
from collections.abc import Sequence
from typing import Optional

import torch
from jsonargparse.typing import NonNegativeInt, PositiveInt
from torch import Tensor, nn
from torch.nn import functional as F

from gan_manual.labels import check_condition
from gan_manual.nets.conditioning import (ConditionalBatchNorm, DiscriminatorCondition, DiscriminatorHead,
                                          GeneratorCondition, apply)
from gan_manual.nets.norms import maybe_spectral_norm
from gan_manual.nets.packing import pack as pack_samples
from gan_manual.nets.sizes import doublings


def _init(layer: nn.Module, gain: float) -> nn.Module:
    # SNGAN's Chainer code: Xavier-uniform weights, gain sqrt(2) inside the residual branch and 1 elsewhere.
    nn.init.xavier_uniform_(layer.weight, gain)
    return layer


class GeneratorBlock(nn.Module):
    """``(B, C_in, H, W)`` -> ``(B, C_out, 2H, 2W)``: BN, ReLU, up, conv3x3, BN, ReLU, conv3x3, plus an upsampled
    1x1-conv shortcut. With ``num_classes`` > 0 both norms are conditional BatchNorms (labels ``(B,)``)."""

    def __init__(self, channels_in: int, channels_out: int, num_classes: int = 0) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.BatchNorm2d(channels_in), nn.BatchNorm2d(channels_out)
        self.conv1 = _init(nn.Conv2d(channels_in, channels_out, 3, 1, 1), math.sqrt(2))
        self.conv2 = _init(nn.Conv2d(channels_out, channels_out, 3, 1, 1), math.sqrt(2))
        self.shortcut = _init(nn.Conv2d(channels_in, channels_out, 1), 1.0)
        if num_classes:
            self.norm1 = ConditionalBatchNorm(channels_in, num_classes)
            self.norm2 = ConditionalBatchNorm(channels_out, num_classes)

    @staticmethod
    def _up(x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x: Tensor, y: Optional[Tensor] = None) -> Tensor:
        h = self.conv1(self._up(F.relu(apply(self.norm1, x, y))))
        h = self.conv2(F.relu(apply(self.norm2, h, y)))
        return h + self.shortcut(self._up(x))


class DiscriminatorBlock(nn.Module):
    """``(B, C_in, H, W)`` -> ``(B, C_out, H', W')``, H' = H/2 if ``down`` else H.

    ``first``: SNGAN's "optimized" first block (conv, ReLU, conv, pool; shortcut pool then 1x1 conv), which does
    not put a ReLU on the image. Otherwise ReLU, conv, ReLU, conv, pool, with a 1x1-conv shortcut where the shape
    changes and the identity where it does not.
    """

    def __init__(self, channels_in: int, channels_out: int, down: bool, first: bool, spectral_norm: bool) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = maybe_spectral_norm(_init(nn.Conv2d(channels_in, channels_out, 3, 1, 1), math.sqrt(2)),
                                         spectral_norm)
        self.conv2 = maybe_spectral_norm(_init(nn.Conv2d(channels_out, channels_out, 3, 1, 1), math.sqrt(2)),
                                         spectral_norm)
        learned = first or down or channels_in != channels_out
        self.shortcut = (maybe_spectral_norm(_init(nn.Conv2d(channels_in, channels_out, 1), 1.0), spectral_norm)
                         if learned else nn.Identity())

    def _pool(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, 2) if self.down else x

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(x if self.first else F.relu(x))
        h = self._pool(self.conv2(F.relu(h)))
        # The first block pools before its 1x1 conv (the same result, 4x less work); the others after.
        skip = self.shortcut(self._pool(x)) if self.first else self._pool(self.shortcut(x))
        return h + skip


class ResNetGenerator(nn.Module):
    """Noise ``(B, latent_dim)`` (and labels ``(B,)`` if conditional) -> images ``(B, *data_shape)`` in [-1, 1].

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        latent_dim: Size of the noise vector (SNGAN's 128).
        width: Feature maps of every block (SNGAN's 256 at 32x32).
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional. ``batchnorm``: the blocks' BatchNorms take a per-class gain and bias
            (SNGAN-projection's generator; the last BatchNorm stays plain); ``concat``: a learned
            ``latent_dim``-wide embedding of the label joins the noise.
    """

    def __init__(self, data_shape: Sequence[int] = (3, 32, 32), latent_dim: PositiveInt = 128,
                 width: PositiveInt = 256, num_classes: NonNegativeInt = 0,
                 condition: GeneratorCondition = None) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        self.num_classes = check_condition("generator", condition, num_classes)
        self.condition = condition
        self.base, k = doublings(data_shape, "generator", "ResNet", least=2)
        self.width = width
        inputs = 2 * latent_dim if condition == "concat" else latent_dim
        self.project = _init(nn.Linear(inputs, width * self.base**2), 1.0)
        classes = num_classes if condition == "batchnorm" else 0
        self.blocks = nn.Sequential(*(GeneratorBlock(width, width, classes) for _ in range(k)))
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(),
                                 _init(nn.Conv2d(width, self.data_shape[0], 3, 1, 1), 1.0), nn.Tanh())
        if condition == "concat":
            self.embed = nn.Embedding(num_classes, latent_dim)

    def forward(self, z: Tensor, y: Optional[Tensor] = None) -> Tensor:
        """``z: (B, latent_dim)``, labels ``y: (B,)`` if conditional -> ``(B, C, H, W)``."""
        if self.condition == "concat":
            z = torch.cat([z, self.embed(y)], dim=1)
        h = self.project(z).view(z.shape[0], self.width, self.base, self.base)
        for block in self.blocks:
            h = block(h, y)
        return self.out(h)


class ResNetDiscriminator(nn.Module):
    """Images ``(B, *data_shape)`` (and labels ``(B,)`` if conditional) -> raw scores ``(B / pack,)``: no sigmoid,
    the loss decides what they mean; with ``condition: classifier``, ``(scores, class_logits)``.

    Args:
        data_shape: ``(C, H, W)``; linked from the datamodule by the CLI.
        width: Feature maps of every block (SNGAN's 128 at 32x32).
        spectral_norm: Spectral normalisation of every layer's weight (on: SNGAN).
        pack: PacGAN (Lin et al. 2018): judge this many consecutive samples at once, stacked along the channels,
            all real or all fake.
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional. ``projection``: SNGAN-projection's class term on the pooled features;
            ``classifier``: ACGAN's class-logit head on them (:mod:`gan_manual.nets.conditioning`).
    """

    def __init__(self, data_shape: Sequence[int] = (3, 32, 32), width: PositiveInt = 128, spectral_norm: bool = True,
                 pack: PositiveInt = 1, num_classes: NonNegativeInt = 0,
                 condition: DiscriminatorCondition = None) -> None:
        super().__init__()
        _, k = doublings(data_shape, "discriminator", "ResNet", least=2)
        self.num_classes = check_condition("discriminator", condition, num_classes, pack)
        self.pack = pack
        channels = int(data_shape[0]) * pack
        downs = [True] * (k - 1) + [False, False]
        self.blocks = nn.Sequential(*(
            DiscriminatorBlock(channels if i == 0 else width, width, down, first=i == 0, spectral_norm=spectral_norm)
            for i, down in enumerate(downs)
        ))
        self.score = maybe_spectral_norm(_init(nn.Linear(width, 1), 1.0), spectral_norm)
        if condition is not None:
            self.head = DiscriminatorHead(condition, width, num_classes, spectral_norm)

    def features(self, x: Tensor) -> Tensor:
        """``x: (B, C, H, W)`` -> ``(B / pack, width)``: ReLU of the last block, summed over space (SNGAN's
        pooling, on which a conditional head works too)."""
        return torch.sum(F.relu(self.blocks(pack_samples(x, self.pack))), dim=(2, 3))

    def forward(self, x: Tensor, y: Optional[Tensor] = None) -> Tensor | tuple[Tensor, Tensor]:
        """``x: (B, C, H, W)``, labels ``y: (B,)`` if conditional -> ``(B / pack,)`` (and ``(B, num_classes)``)."""
        features = self.features(x)
        scores = self.score(features).squeeze(1)
        return self.head(features, scores, y) if self.num_classes else scores
