"""Gradient penalties against closed forms: a linear D has gradient w everywhere, a quadratic one 2x."""

import pytest
import torch
from torch import nn

from gan_manual.objective import Objective
from gan_manual.losses import NonSaturatingLoss, RelativisticPairingLoss
from gan_manual.penalties import GradientPenalty, Penalties, R1Penalty, R2Penalty


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


def test_r2_on_generated_samples_only():
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    assert R2Penalty()(Square(), real, fake, rng()).item() == pytest.approx((4 * fake.pow(2).sum(1)).mean().item(),
                                                                           rel=1e-6)
    assert R2Penalty(weight=0.5)(Linear(), torch.randn(4, 2), torch.randn(4, 2), rng()).item() == pytest.approx(25.0)
    assert R2Penalty.labels == "fake" and R1Penalty.labels == "real"


class Judge(nn.Module):
    """A conditional D that records the labels of each call: score = x . w + label."""

    num_classes = 3

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([3.0, 4.0]))
        self.seen: list[list[int]] = []

    def forward(self, x, y):
        self.seen.append(y.tolist())
        return x @ self.w + y.float()


def test_several_penalties_each_with_its_weight_laziness_and_labels():
    """R1 every batch (weight 2) and R2 on even batches (weight 3, so 6 there): each logged under its name; R2's
    conditional D gets the generated samples' labels, R1's the real ones'."""
    both = Penalties([R1Penalty(weight=2.0), R2Penalty(weight=3.0, every=2)])
    objective = Objective(NonSaturatingLoss(), penalty=both)
    real, fake = torch.randn(4, 2), torch.randn(4, 2)
    real_labels, fake_labels = torch.tensor([0, 0, 1, 1]), torch.tensor([2, 2, 2, 2])
    plain, _ = Objective(NonSaturatingLoss()).discriminator(Judge(), real, real_labels, fake, fake_labels, rng(), 0)
    d = Judge()
    loss, logs = objective.discriminator(d, real, real_labels, fake, fake_labels, rng(), 0)
    assert logs["d_penalty_r1"].item() == pytest.approx(25.0) and logs["d_penalty_r2"].item() == pytest.approx(25.0)
    assert loss.item() == pytest.approx(plain.item() + 2 * 25.0 + 6 * 25.0, rel=1e-5)
    assert d.seen[2:] == [[0, 0, 1, 1], [2, 2, 2, 2]]  # after the loss's two calls: R1 on real, R2 on fake labels
    loss, logs = objective.discriminator(Judge(), real, real_labels, fake, fake_labels, rng(), 1)
    assert set(logs) >= {"d_penalty_r1"} and "d_penalty_r2" not in logs
    assert loss.item() == pytest.approx(plain.item() + 2 * 25.0, rel=1e-5)
    one = Objective(NonSaturatingLoss(), penalty=R1Penalty()).penalties
    assert [name for name, _ in one] == ["d_penalty"]  # one penalty keeps its log name
    # Called directly (outside the system): the sum of its members, each times its weight.
    assert both(Linear(), real, fake, rng()).item() == pytest.approx(2 * 25.0 + 3 * 25.0)


def test_the_generator_is_judged_against_real_samples_only_for_a_loss_that_needs_them():
    fake, real = torch.randn(4, 2), torch.randn(4, 2)
    labels = torch.tensor([0, 1, 2, 0])
    d = Judge()
    loss, _ = Objective(NonSaturatingLoss()).generator(d, fake, labels, rng(), real, labels)
    assert len(d.seen) == 1  # no extra forward pass, no extra random draws: other losses' bits stay
    d = Judge()
    loss, _ = Objective(RelativisticPairingLoss()).generator(d, fake, labels, rng(), real, labels)
    scores = lambda x: x @ d.w + labels.float()  # noqa: E731
    expected = torch.nn.functional.softplus(scores(real) - scores(fake)).mean()
    assert len(d.seen) == 2 and loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()  # the real scores carry no graph: only the fakes' path reaches D's weights
    gap = (scores(real) - scores(fake)).detach()
    assert torch.allclose(d.w.grad, (torch.sigmoid(gap).unsqueeze(1) * -fake).mean(0), atol=1e-6)


def test_rpgan_with_r1_and_r2_through_the_cli(isolated):
    """R3GAN's objective composed in YAML on the toy ring: it trains, and both penalties are logged by name."""
    from gan_manual.cli import main
    from helpers import TINY, config

    both = ('{"class_path": "gan_manual.penalties.Penalties", "init_args": {"penalties": ['
            '{"class_path": "gan_manual.penalties.R1Penalty", "init_args": {"weight": 0.5}}, '
            '{"class_path": "gan_manual.penalties.R2Penalty", "init_args": {"weight": 0.5, "every": 2}}]}}')
    cli = main(["fit", "-c", config("configs/toy_ring.yaml"), *TINY, "--trainer.enable_progress_bar=false",
                "--model.loss=gan_manual.losses.RelativisticPairingLoss", f"--model.penalty={both}"])
    logged = cli.trainer.logged_metrics
    assert {"train/d_penalty_r1", "train/d_penalty_r2"} <= set(logged) and "train/d_penalty" not in logged
    assert all(torch.isfinite(p).all() for p in cli.model.parameters())
