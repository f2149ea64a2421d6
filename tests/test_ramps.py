"""Ramps against hand computations at their ends and in between, the moving average's half-life, and the callback
that sets them in a run."""

import math

import pytest

from gan_manual.callbacks import Ramps
from gan_manual.cli import main
from gan_manual.errors import ConfigError
from gan_manual.ramps import ConstantRamp, CosineRamp, HalfLife, LinearRamp, RampedHalfLife
from helpers import TINY, config


def test_ramps_at_their_ends_and_in_between():
    linear = LinearRamp(start=1.0, end=3.0, length=10)
    assert [linear(b, 0) for b in (0, 5, 10, 20)] == [1.0, 2.0, 3.0, 3.0]
    cosine = CosineRamp(start=0.0, end=1.0, length=8)
    assert cosine(0, 0) == 0.0 and cosine(4, 0) == pytest.approx(0.5) and cosine(8, 0) == pytest.approx(1.0)
    assert cosine(2, 0) == pytest.approx((1 - math.cos(math.pi / 4)) / 2)
    by_images = LinearRamp(start=0.0, end=1.0, length=1000, unit="images")
    assert by_images(3, 250) == 0.25 and by_images(3, 5000) == 1.0
    assert ConstantRamp(0.7)(0, 0) == ConstantRamp(0.7)(10**9, 10**9) == 0.7


def test_half_life_with_and_without_ramp_up():
    """StyleGAN's beta = 0.5 ** (batch / half-life), the half-life at most ramp_up x images seen."""
    assert HalfLife(half_life=1000, ramp_up=0)(0, images=0, batch_images=64) == pytest.approx(0.5 ** (64 / 1000))
    ramped = HalfLife(half_life=1000, ramp_up=0.05)
    assert ramped(0, images=10_000, batch_images=64) == pytest.approx(0.5 ** (64 / 500))  # capped at 0.05 x 10,000
    assert ramped(0, images=100_000, batch_images=64) == pytest.approx(0.5 ** (64 / 1000))
    assert ramped(0, images=0, batch_images=64) == 0.0  # the first update takes G as it is
    # R3GAN's: the half-life on a cosine from 0 to 5M images over 20M; half way, 2.5M.
    r3gan = RampedHalfLife(CosineRamp(start=0, end=5e6, length=20_000_000, unit="images"))
    assert r3gan(0, 10_000_000, 512) == pytest.approx(0.5 ** (512 / 2.5e6))


RAMPS = ('{"class_path": "gan_manual.callbacks.Ramps", "init_args": {'
         '"g_lr": {"class_path": "gan_manual.ramps.LinearRamp", "init_args": {"start": 0.001, "end": 0.0, '
         '"length": 4}}, '
         '"g_beta2": {"class_path": "gan_manual.ramps.ConstantRamp", "init_args": {"value": 0.95}}, '
         '"penalty_weight": {"class_path": "gan_manual.ramps.LinearRamp", "init_args": {"start": 2.0, "end": 0.0, '
         '"length": 4}}, '
         '"g_ema_half_life": {"class_path": "gan_manual.ramps.HalfLife", "init_args": {"half_life": 100}}}}')
TOY = ["fit", "-c", config("configs/toy_ring.yaml"), *TINY, "--trainer.enable_progress_bar=false",
       "--model.penalty=gan_manual.penalties.R1Penalty", "--model.g_ema_decay=0.999"]


def test_the_callback_sets_each_value_before_every_batch(isolated):
    cli = main([*TOY, f"--trainer.callbacks+={RAMPS}"])
    ramps = next(c for c in cli.trainer.callbacks if isinstance(c, Ramps))
    # The last batch (3 of 0-3) started 3/4 of the way down both linear ramps; 256 points a batch on 1 process.
    assert ramps.values == pytest.approx({"g_lr": 0.00025, "g_beta2": 0.95, "penalty_weight": 0.5,
                                          "g_ema_decay": 0.5 ** (256 / (0.05 * 3 * 256))})
    g = cli.trainer.optimizers[0].param_groups[0]
    assert g["lr"] == pytest.approx(0.00025) and g["betas"] == pytest.approx((0.5, 0.95))
    assert cli.model.penalty.weight == pytest.approx(0.5)
    assert cli.trainer.optimizers[1].param_groups[0]["lr"] == 0.0001  # D's: the config's, untouched
    assert {"ramp/g_lr", "ramp/penalty_weight"} <= set(cli.trainer.logged_metrics)


def test_a_ramp_with_nothing_to_move_is_refused_before_anything_is_written(isolated, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*TOY, "--model.penalty=null", f"--trainer.callbacks+={RAMPS}"])
    assert exit.value.code == 2 and "Ramps.penalty_weight ramps a penalty" in capsys.readouterr().err
    assert not (isolated / "runs").exists()
    with pytest.raises(SystemExit):
        main([*TOY, f"--trainer.callbacks+={RAMPS}", "--model.g_scheduler=torch.optim.lr_scheduler.ConstantLR"])
    assert "Ramps sets g_lr, and model.g_scheduler sets it too" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*TOY, f"--trainer.callbacks+={RAMPS}", "--model.g_optimizer=torch.optim.SGD",
              "--model.g_optimizer.lr=0.1"])
    assert "Ramps sets g_beta2, and model.g_optimizer (SGD) has no betas" in capsys.readouterr().err
    assert not (isolated / "runs").exists()
    with pytest.raises(ConfigError, match="g_ema_decay or g_ema_half_life"):
        Ramps(g_ema_decay=ConstantRamp(0.9), g_ema_half_life=HalfLife())
