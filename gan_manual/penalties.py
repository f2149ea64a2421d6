"""Regularisers of the discriminator, added to its loss as ``weight * penalty(...)``.

Each is a callable ``(discriminator, real, fake, rng) -> scalar`` returning the unweighted penalty (it is logged
as ``train/d_penalty``; with several in :class:`Penalties`, ``train/d_penalty_<kind>`` each); ``weight`` is an
attribute the system multiplies by. ``discriminator`` maps ``(B, *data_shape)`` to scores ``(B,)``: the network itself, or for a
conditional one a function that gives it the real samples' labels (the generated samples' for a penalty whose
``labels`` is ``"fake"``, as R2's). ``real`` and ``fake`` are ``(B, *data_shape)``; ``fake`` is detached. ``rng`` is the
system's noise generator, so runs stay reproducible.
"""

from collections.abc import Sequence
from typing import Callable

import torch
from jsonargparse.typing import NonNegativeFloat, PositiveInt
from torch import Tensor

from gan_manual.component import Component


#: D as a function of its input: ``(B, *data_shape)`` -> scores ``(B,)``.
Critic = Callable[[Tensor], Tensor]


def _grad_norm_sq(discriminator: Critic, x: Tensor) -> Tensor:
    """Squared L2 norm of dD/dx per sample, ``(B,)``, differentiable (``create_graph``) for the D step."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)


class Penalty(Component):
    """Interface of every penalty; ``weight`` scales it in D's loss.

    ``every``: 1 penalises every D step. k > 1: only the D steps of every k-th training batch (batches 0, k,
    2k, ...), with the weight times k, so the penalty's mean strength stays (lazy regularisation, StyleGAN2, Karras
    et al. 2020): a penalty that differentiates D's gradient costs about a third of a D step.
    """

    #: Whose labels a conditional D is given in the penalty: the real samples' (``"real"``) or the generated ones'.
    labels = "real"

    def __init__(self, weight: NonNegativeFloat = 10.0, every: PositiveInt = 1) -> None:
        self.weight = weight
        self.every = every

    def __call__(self, discriminator: Critic, real: Tensor, fake: Tensor, rng: torch.Generator) -> Tensor:
        raise NotImplementedError


class GradientPenalty(Penalty):
    """WGAN-GP (Gulrajani et al. 2017, Alg. 1): E[(||grad D(x_hat)|| - target)^2] on random interpolates
    x_hat = eps * real + (1 - eps) * fake, eps ~ U[0, 1] per sample. Meant for a Wasserstein critic; on a
    BCE discriminator it is a different, also usable, regulariser (Kurach et al. 2019).

    Args:
        weight: lambda; the paper uses 10.
        target: The norm pushed towards; 1 for 1-Lipschitz.
        every: Penalise the D steps of every this-many batches only, with the weight times as much (see Penalty).
    """

    def __init__(self, weight: NonNegativeFloat = 10.0, target: float = 1.0, every: PositiveInt = 1) -> None:
        super().__init__(weight, every)
        self.target = target

    def __call__(self, discriminator: Critic, real: Tensor, fake: Tensor, rng: torch.Generator) -> Tensor:
        eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        eps = torch.rand(eps_shape, generator=rng, device=real.device, dtype=real.dtype)
        # Under mixed precision the fakes come out of the generator in bf16/fp16: interpolate in real's dtype.
        x_hat = torch.lerp(fake.to(real.dtype), real, eps)  # eps * real + (1 - eps) * fake
        norm = (_grad_norm_sq(discriminator, x_hat) + 1e-12).sqrt()  # eps keeps sqrt's gradient finite at 0
        return ((norm - self.target) ** 2).mean()


class R2Penalty(Penalty):
    """R2 (Mescheder et al. 2018; with R1, R3GAN's pair): E[||grad D(fake)||^2] on generated samples only.

    StyleGAN's and R3GAN's ``gamma`` corresponds to ``weight = gamma / 2``.

    Args:
        weight: The penalty's weight in D's loss.
        every: Penalise the D steps of every this-many batches only, with the weight times as much.
    """

    labels = "fake"  # a conditional D judges each generated sample with the label it was made for

    def __call__(self, discriminator: Critic, real: Tensor, fake: Tensor, rng: torch.Generator) -> Tensor:
        return _grad_norm_sq(discriminator, fake).mean()


class R1Penalty(Penalty):
    """R1 (Mescheder et al. 2018): E[||grad D(real)||^2] on real samples only.

    StyleGAN's ``gamma`` corresponds to ``weight = gamma / 2``.

    Args:
        weight: The penalty's weight in D's loss.
        every: Penalise the D steps of every this-many batches only, with the weight times as much (StyleGAN2's
            lazy R1 penalises every 16th).
    """

    def __call__(self, discriminator: Critic, real: Tensor, fake: Tensor, rng: torch.Generator) -> Tensor:
        return _grad_norm_sq(discriminator, real).mean()


class Penalties(Penalty):
    """Several penalties at once, each with its own ``weight`` and ``every`` (R3GAN's R1 and R2):

        penalty:
          class_path: gan_manual.penalties.Penalties
          init_args:
            penalties:
            - {class_path: gan_manual.penalties.R1Penalty, init_args: {weight: 5.0}}
            - {class_path: gan_manual.penalties.R2Penalty, init_args: {weight: 5.0}}

    The system applies each as it would apply it alone (its laziness, its labels) and logs it as
    ``train/d_penalty_<kind>``. Called directly, it is the sum of its members, each times its weight.

    Args:
        penalties: The penalties, in the order they are added to D's loss.
    """

    weight = 1.0  # each member carries its own
    every = 1

    def __init__(self, penalties: Sequence[Penalty]) -> None:
        self.penalties = list(penalties)

    def __call__(self, discriminator: Critic, real: Tensor, fake: Tensor, rng: torch.Generator) -> Tensor:
        return sum(p.weight * p(discriminator, real, fake, rng) for p in self.penalties)  # type: ignore[return-value]
