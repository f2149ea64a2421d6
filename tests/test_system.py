"""The system's knobs change what they claim: schedulers, clipping, weight clipping, rolling means, resume state."""

from functools import partial

import pytest
import torch

from gan_manual.augment import Augmentation
from gan_manual.rolling import Means, RollingMean
from helpers import LR, d_update_norm, fit, toy_gan


def halving():
    return partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)


@pytest.mark.parametrize("interval, epochs, batches, halvings", [("batch", 1, 4, 4), ("epoch", 2, 3, 2)])
def test_scheduler_interval(interval, epochs, batches, halvings):
    model = toy_gan(g_scheduler=halving(), d_scheduler=halving(), scheduler_interval=interval)
    trainer = fit(model, batches=batches, epochs=epochs)
    g_opt, d_opt = trainer.optimizers
    assert g_opt.param_groups[0]["lr"] == pytest.approx(LR * 0.5**halvings)
    assert d_opt.param_groups[0]["lr"] == pytest.approx(LR * 0.5**halvings)


def test_scheduler_for_one_network_only():
    model = toy_gan(d_scheduler=halving(), scheduler_interval="batch")
    trainer = fit(model, batches=3)
    assert [o.param_groups[0]["lr"] for o in trainer.optimizers] == pytest.approx([LR, LR * 0.125])


def test_gradient_norm_clipping():
    free = d_update_norm()
    clipped = d_update_norm(d_clip_norm=1e-3)
    assert free > 1e-2
    assert clipped == pytest.approx(LR * 1e-3, rel=1e-3)  # SGD: step = lr * clipped gradient


def test_weight_clipping_bounds_critic():
    model = toy_gan(d_weight_clip=0.01)
    fit(model, batches=2)
    assert max(p.abs().max().item() for p in model.discriminator.parameters()) <= 0.01


def test_rolling_mean():
    mean = RollingMean(3)
    assert [mean(torch.tensor(v)).item() for v in (1.0, 2.0, 3.0, 4.0, 8.0)] == [1.0, 1.5, 2.0, 3.0, 5.0]


def test_epoch_means_count_only_batches_that_logged():
    means = Means()
    means.add({"d": torch.tensor(1.0), "g": torch.tensor(4.0)})
    means.add({"d": torch.tensor(3.0)})
    assert {k: v.item() for k, v in means.pop().items()} == {"d": 2.0, "g": 4.0}
    assert means.pop() == {}


def test_checkpoint_holds_schedule_position_rng_and_running_means(tmp_path):
    model = toy_gan(d_steps_per_g_step=2)
    trainer = fit(model, batches=3)
    model._logs.epoch.add({"d_loss": torch.tensor(2.0)})  # as if mid-epoch
    model._logs.epoch.add({"d_loss": torch.tensor(4.0)})
    trainer.save_checkpoint(tmp_path / "x.ckpt")
    # Built outside the CLI, hparams hold the objects themselves, so this one needs full unpickling.
    state = torch.load(tmp_path / "x.ckpt", weights_only=False)["gan_manual"]
    assert state["batches_trained"] == 3
    assert torch.equal(state["global_rng"], torch.get_rng_state()[None])  # one row per process
    assert state["epoch_means"]["counts"] == {"d_loss": 2}
    restored = toy_gan(d_steps_per_g_step=2)
    restored.on_load_checkpoint({"gan_manual": state})
    assert restored.batches_trained == 3
    assert restored._logs.epoch.pop() == {"d_loss": 3.0}


class CountingAugmentation(Augmentation):
    """Adds 0 and counts the images it is given, per call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, x, rng):
        self.calls.append(x.shape[0])
        return x + 0.0


def test_augmentation_sees_every_image_d_sees_in_training():
    augment = CountingAugmentation()
    model = toy_gan(augment=augment, d_steps_per_g_step=2, reuse_batch=True)
    fit(model, batches=3)
    # Per batch: real and fake in each of the 2 D steps, the fakes of the G step.
    assert augment.calls == [16] * (3 * (2 * 2 + 1))
