"""Each loss against values computed by hand with the math module."""

import math

import pytest
import torch

from gan_manual.losses import (HingeLoss, LeastSquaresLoss, MinimaxLoss, NonSaturatingLoss,
                               RelativisticPairingLoss, WassersteinLoss)

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def mean(*xs: float) -> float:
    return sum(xs) / len(xs)


CASES = [
    # loss, expected D loss, expected G loss
    (
        NonSaturatingLoss(),
        mean(softplus(-2.0), softplus(1.0)) + mean(softplus(0.5), softplus(-3.0)),
        mean(softplus(-0.5), softplus(3.0)),
    ),
    (
        MinimaxLoss(),
        mean(softplus(-2.0), softplus(1.0)) + mean(softplus(0.5), softplus(-3.0)),
        -mean(softplus(0.5), softplus(-3.0)),
    ),
    (WassersteinLoss(), mean(0.5, -3.0) - mean(2.0, -1.0), -mean(0.5, -3.0)),
    (HingeLoss(), mean(0.0, 2.0) + mean(1.5, 0.0), -mean(0.5, -3.0)),
    (LeastSquaresLoss(), 0.5 * mean(1.0, 4.0) + 0.5 * mean(0.25, 9.0), 0.5 * mean(0.25, 16.0)),
    (
        LeastSquaresLoss(real_target=1.0, fake_target=-1.0, g_target=0.0),
        0.5 * mean(1.0, 4.0) + 0.5 * mean(2.25, 4.0),
        0.5 * mean(0.25, 9.0),
    ),
]


@pytest.mark.parametrize("loss, d_expected, g_expected", CASES, ids=[repr(c[0]) for c in CASES])
def test_loss_values(loss, d_expected, g_expected):
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx(d_expected, rel=1e-6)
    assert loss.g_loss(FAKE).item() == pytest.approx(g_expected, rel=1e-6)


def test_label_smoothing_targets_real_label():
    # BCE(x, 0.9) = 0.9 * softplus(-x) + 0.1 * softplus(x)
    smoothed = NonSaturatingLoss(real_label=0.9).d_loss(REAL, FAKE).item()
    real_part = mean(*(0.9 * softplus(-x) + 0.1 * softplus(x) for x in (2.0, -1.0)))
    assert smoothed == pytest.approx(real_part + mean(softplus(0.5), softplus(-3.0)), rel=1e-6)


def test_losses_are_differentiable_scalars():
    real, fake = REAL.clone().requires_grad_(), FAKE.clone().requires_grad_()
    for loss, _, _ in CASES:
        value = loss.d_loss(real, fake) + loss.g_loss(fake)
        assert value.shape == ()
        grads = torch.autograd.grad(value, (real, fake))
        assert all(torch.isfinite(g).all() for g in grads)


def test_relativistic_pairing_judges_each_generated_sample_against_its_real_one():
    """RpGAN on the pairs (2, 0.5) and (-1, -3): D's loss softplus(-(real - fake)), G's softplus(-(fake - real))."""
    loss = RelativisticPairingLoss()
    assert loss.needs_real_scores and not NonSaturatingLoss().needs_real_scores
    assert loss.d_loss(REAL, FAKE).item() == pytest.approx(mean(softplus(-1.5), softplus(-2.0)), rel=1e-6)
    assert loss.g_loss(FAKE, REAL).item() == pytest.approx(mean(softplus(1.5), softplus(2.0)), rel=1e-6)
    # Pairs, not batches: swapping the fakes changes it (a loss on the means would not change).
    assert loss.d_loss(REAL, FAKE.flip(0)).item() != pytest.approx(loss.d_loss(REAL, FAKE).item())


def test_each_loss_gives_ds_verdict_on_real_samples_from_its_own_decision_boundary():
    """What adaptive augmentation's heuristic takes the sign of: a logit (or hinge score) as it is, an LSGAN score
    against the midpoint of its targets, a relativistic score against its pair; a critic has none."""
    real, fake = torch.tensor([2.0, 0.25, 0.75]), torch.tensor([3.0, 0.0, 0.5])
    for loss in (NonSaturatingLoss(), MinimaxLoss(), HingeLoss()):
        assert torch.equal(loss.verdict(real, fake), real)
    assert torch.equal(LeastSquaresLoss().verdict(real, fake), torch.tensor([1.5, -0.25, 0.25]))
    flipped = LeastSquaresLoss(real_target=-1.0, fake_target=1.0, g_target=-1.0)
    assert torch.equal(flipped.verdict(real, fake), torch.tensor([-2.0, -0.25, -0.75]))
    assert torch.equal(RelativisticPairingLoss().verdict(real, fake), torch.tensor([-1.0, 0.25, 0.25]))
    assert WassersteinLoss().verdict is None
