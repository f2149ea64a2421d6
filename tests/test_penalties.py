"""Gradient penalties against closed forms: a linear D has gradient w everywhere, a quadratic one 2x."""

import pytest
import torch
from torch import nn

from gan_manual.penalties import GradientPenalty, R1Penalty


class Linear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([3.0, 4.0]))  # |w| = 5

    def forward(self, x):
        return x.flatten(1) @ self.w


class Square(nn.Module):
    def forward(self, x):
        return x.flatten(1).pow(2).sum(1)


def rng() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def test_gradient_penalty_of_linear_critic():
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    d = Linear()
    penalty = GradientPenalty(weight=10.0)(d, real, fake, rng())
    assert penalty.item() == pytest.approx((5.0 - 1.0) ** 2, rel=1e-6)
    # It must train D: d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    (grad,) = torch.autograd.grad(penalty, d.w)
    assert torch.allclose(grad, 2 * 4.0 * torch.tensor([3.0, 4.0]) / 5.0)


def test_gradient_penalty_uses_interpolates():
    real, fake = torch.randn(5, 1, 2, 2), torch.randn(5, 1, 2, 2)
    eps = torch.rand(5, 1, 1, 1, generator=rng())
    x_hat = eps * real + (1 - eps) * fake
    expected = ((2 * x_hat.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
    assert GradientPenalty(target=1.0)(Square(), real, fake, rng()).item() == pytest.approx(expected.item(), rel=1e-5)


def test_r1_on_reals_only():
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    assert R1Penalty()(Square(), real, fake, rng()).item() == pytest.approx(
        (4 * real.pow(2).sum(1)).mean().item(), rel=1e-6
    )
    d = Linear()
    assert R1Penalty(weight=5.0)(d, torch.randn(4, 2), torch.randn(4, 2), rng()).item() == pytest.approx(25.0)
    assert R1Penalty(weight=5.0).weight == 5.0


def test_lazy_penalty_runs_on_every_kth_batch_with_k_times_the_weight():
    from helpers import fit, toy_gan

    class Counting(R1Penalty):
        def __call__(self, discriminator, real, fake, rng):
            self.calls += 1
            return super().__call__(discriminator, real, fake, rng)

    counting = Counting(weight=1.0, every=3)
    counting.calls = 0
    fit(toy_gan(penalty=counting), batches=7)
    assert counting.calls == 3  # batches 0, 3 and 6

    def d_after_one_batch(penalty):
        torch.manual_seed(0)
        model = toy_gan(penalty=penalty)
        fit(model, batches=1)
        return torch.cat([p.detach().flatten() for p in model.discriminator.parameters()])

    lazy, eager = d_after_one_batch(R1Penalty(weight=2.0, every=3)), d_after_one_batch(R1Penalty(weight=6.0))
    assert torch.allclose(lazy, eager) and not torch.equal(lazy, d_after_one_batch(R1Penalty(weight=2.0)))
