"""Fully connected generator and discriminator (the 2014 GAN's MLPs), sized by ``data_shape``.

Images use ``data_shape=(C, H, W)``; the 2D toy data uses ``data_shape=(2,)``.
"""

import math
from collections.abc import Sequence
from typing import Optional

import torch
from jsonargparse.typing import NonNegativeInt, PositiveFloat, PositiveInt
from torch import Tensor, nn

from gan_manual.errors import ConfigError
from gan_manual.labels import check_condition
from gan_manual.nets.conditioning import (DiscriminatorCondition, DiscriminatorHead, GeneratorCondition,
                                          conditional_norms, run)
from gan_manual.nets.latent import CategoricalCode
from gan_manual.nets.norms import maybe_spectral_norm
from gan_manual.nets.packing import pack as pack_samples


class MLPGenerator(nn.Module):
    """Maps noise ``z: (B, latent_dim)`` (and labels ``(B,)`` if conditional) to samples ``(B, *data_shape)``.

    Every generator used by :class:`gan_manual.GAN` exposes ``latent_dim``: the system draws ``z`` itself.

    Args:
        latent_dim: Size of the noise vector.
        hidden_dims: Width of each hidden block (Linear, optional BatchNorm1d, LeakyReLU).
        data_shape: Shape of one sample; linked from the datamodule by the CLI.
        batch_norm: BatchNorm1d in every hidden block except the first.
        first_batch_norm: With ``batch_norm``, in the first block too (PacGAN's toy generator).
        tanh: End with Tanh, for data scaled to [-1, 1]; off for unbounded toy data.
        negative_slope: LeakyReLU slope (0: ReLU).
        init_std: None: PyTorch's default initialisation. s: every Linear weight drawn from N(0, s^2), biases 0
            (DCGAN's and PacGAN's 0.02).
        code_values: 0: the noise goes in as it is. K > 0: its first coordinate becomes a uniform code of K values
            and the rest is scaled by ``code_noise_std``, a K-component Gaussian-mixture prior
            (:class:`~gan_manual.nets.latent.CategoricalCode`: for data made of separated modes).
        code_noise_std: Spread of each component's noise, with ``code_values`` > 0.
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional. ``batchnorm``: the hidden BatchNorms take a per-class gain and bias
            (needs ``batch_norm``); ``concat``: a learned ``latent_dim``-wide embedding of the label joins the
            noise (the conditional GAN of Mirza & Osindero 2014).
    """

    def __init__(
        self,
        latent_dim: PositiveInt = 100,
        hidden_dims: Sequence[PositiveInt] = (128, 256, 512, 1024),
        data_shape: Sequence[int] = (1, 28, 28),
        batch_norm: bool = True,
        tanh: bool = True,
        negative_slope: float = 0.2,
        code_values: NonNegativeInt = 0,
        code_noise_std: PositiveFloat = 0.1,
        num_classes: NonNegativeInt = 0,
        condition: GeneratorCondition = None,
        first_batch_norm: bool = False,
        init_std: Optional[PositiveFloat] = None,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        self.num_classes = check_condition("generator", condition, num_classes)
        self.condition = condition
        if condition == "batchnorm" and not (batch_norm and (len(hidden_dims) > 1 or first_batch_norm)):
            raise ConfigError("model.generator: condition=batchnorm needs BatchNorm layers (batch_norm=true and two "
                              "or more hidden_dims); or use condition=concat")
        layers: list[nn.Module] = []
        width = latent_dim
        if code_values:
            layers.append(CategoricalCode(code_values, code_noise_std))
            width = code_values + latent_dim - 1
        if condition == "concat":
            width += latent_dim  # the label's embedding, after the noise (and its code)
        for i, hidden in enumerate(hidden_dims):
            layers.append(_linear(width, hidden, init_std))
            if batch_norm and (i > 0 or first_batch_norm):
                # Default eps and momentum: BatchNorm1d(hidden, 0.8), a common copy-paste, sets eps to 0.8.
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.LeakyReLU(negative_slope))
            width = hidden
        layers.append(_linear(width, math.prod(self.data_shape), init_std))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        if condition == "batchnorm":
            conditional_norms(self.net, num_classes)
        elif condition == "concat":
            self.embed = nn.Embedding(num_classes, latent_dim)

    def forward(self, z: Tensor, y: Optional[Tensor] = None) -> Tensor:
        """``z: (B, latent_dim)``, labels ``y: (B,)`` if conditional -> ``(B, *data_shape)``."""
        if self.condition == "concat":
            code = 1 if isinstance(self.net[0], CategoricalCode) else 0
            h = torch.cat([self.net[0](z) if code else z, self.embed(y)], dim=1)
            return run(self.net[code:], h, y).view(z.shape[0], *self.data_shape)
        return run(self.net, z, y).view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """Maps samples ``(B, *data_shape)`` (and labels ``(B,)`` if conditional) to one logit each, ``(B,)``, or one
    per pack, ``(B / pack,)``; with ``condition: classifier``, ``(logits, class_logits)``.

    No sigmoid: the loss decides what the output means (BCE-with-logits, Wasserstein critic, hinge, ...).

    Args:
        data_shape: Shape of one sample; linked from the datamodule by the CLI.
        hidden_dims: Width of each hidden layer (Linear, LeakyReLU; or a maxout layer).
        negative_slope: LeakyReLU slope.
        maxout_pieces: 1: LeakyReLU layers. k > 1: maxout layers instead (Goodfellow et al. 2013), each unit the
            largest of k linear pieces (the discriminator of the 2014 GAN, VEEGAN's and PacGAN's toy experiments).
        init_std: None: PyTorch's default initialisation. s: every Linear weight drawn from N(0, s^2), biases 0.
        pack: PacGAN (Lin et al. 2018): judge this many samples at once, concatenated, all real or all fake; a
            generator that drops modes makes packs that look alike, which D learns to spot. Batches must be
            multiples of ``pack``. GP and R1 still penalise each sample's own input gradient, which PacGAN's
            paper did not study.
        spectral_norm: Spectral normalisation of every Linear layer's weight (Miyato et al. 2018).
        num_classes: Classes of the data's labels; linked from the datamodule by the CLI (used with ``condition``).
        condition: None: unconditional. ``projection``: the class enters as an inner product with the last hidden
            layer (Miyato & Koyama 2018); ``classifier``: ACGAN's class-logit head on it.
    """

    def __init__(
        self,
        data_shape: Sequence[int] = (1, 28, 28),
        hidden_dims: Sequence[PositiveInt] = (512, 256),
        negative_slope: float = 0.2,
        pack: PositiveInt = 1,
        spectral_norm: bool = False,
        num_classes: NonNegativeInt = 0,
        condition: DiscriminatorCondition = None,
        maxout_pieces: PositiveInt = 1,
        init_std: Optional[PositiveFloat] = None,
    ) -> None:
        super().__init__()
        self.num_classes = check_condition("discriminator", condition, num_classes, pack)
        self.pack = pack
        layers: list[nn.Module] = [nn.Flatten()]  # a pack (B / pack, pack * C, H, W) -> one row per pack
        width = math.prod(data_shape) * pack
        for hidden in hidden_dims:
            linear = maybe_spectral_norm(_linear(width, hidden * maxout_pieces, init_std), spectral_norm)
            layers += [Maxout(linear, maxout_pieces)] if maxout_pieces > 1 else [linear, nn.LeakyReLU(negative_slope)]
            width = hidden
        layers.append(maybe_spectral_norm(_linear(width, 1, init_std), spectral_norm))
        self.net = nn.Sequential(*layers)
        if condition is not None:
            self.head = DiscriminatorHead(condition, width, num_classes, spectral_norm)

    def forward(self, x: Tensor, y: Optional[Tensor] = None) -> Tensor | tuple[Tensor, Tensor]:
        """``x: (B, *data_shape)``, labels ``y: (B,)`` if conditional -> logits ``(B / pack,)`` (and
        ``(B, num_classes)``)."""
        if not self.num_classes:
            return self.net(pack_samples(x, self.pack)).squeeze(1)
        features = self.net[:-1](x)
        return self.head(features, self.net[-1](features).squeeze(1), y)


class Maxout(nn.Module):
    """A maxout layer: ``linear`` gives ``pieces`` values per unit, ``(B, units * pieces)``; the layer keeps the
    largest of each unit's, ``(B, units)``."""

    def __init__(self, linear: nn.Module, pieces: int) -> None:
        super().__init__()
        self.linear = linear
        self.pieces = pieces

    def forward(self, x: Tensor) -> Tensor:
        h = self.linear(x)
        return h.view(h.shape[0], -1, self.pieces).amax(dim=2)


def _linear(width_in: int, width_out: int, init_std: Optional[float]) -> nn.Linear:
    """``nn.Linear``, with weights from N(0, init_std^2) and zero biases when ``init_std`` is given."""
    layer = nn.Linear(width_in, width_out)
    if init_std is not None:
        nn.init.normal_(layer.weight, 0.0, init_std)
        nn.init.zeros_(layer.bias)
    return layer
