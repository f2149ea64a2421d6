"""The divergence guard: a NaN stops the run with one line before it reaches the weights (the last checkpoint
stays good), or, with action=skip, the bad step is dropped and training goes on."""

import pytest
import torch

from gan_manual.callbacks import DivergenceGuard
from gan_manual.cli import main
from helpers import config
from probes import InjectNaN

GAN = [
    "fit", "-c", config("configs/gan.yaml"), "--trainer.max_epochs=1", "--trainer.limit_train_batches=8",
    "--trainer.limit_val_batches=1", "--trainer.enable_model_summary=false", "--trainer.enable_progress_bar=false",
    "--trainer.callbacks=gan_manual.callbacks.ResumeCheckpoint", "--trainer.callbacks.every_n_batches=2",
]


def poison(batch: int, gradient: bool = False) -> str:
    return '--trainer.callbacks+={"class_path": "probes.InjectNaN", "init_args": {"batch": %d, "gradient": %s}}' % (
        batch, str(gradient).lower())


@pytest.mark.parametrize("gradient, problem", [(False, "discriminator loss is nan"),
                                               (True, "discriminator gradient norm is nan")])
def test_nan_stops_the_run_and_the_last_checkpoint_is_good(gradient, problem, capsys, isolated):
    with pytest.raises(SystemExit) as exit:
        main([*GAN, poison(5, gradient)])
    assert exit.value.code == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: divergence at training batch 5 of the run (epoch 0): {problem}; stopped before the "
                      "step, the last checkpoint, runs/gan/version_0/checkpoints/last.ckpt, is the last good one "
                      "(--divergence_guard.action=skip skips such steps instead)"], err
    assert "Traceback" not in err
    last = torch.load(isolated / "runs/gan/version_0/checkpoints/last.ckpt", weights_only=True)
    assert last["gan_manual"]["batches_trained"] == 4
    assert all(torch.isfinite(v).all() for v in last["state_dict"].values() if v.is_floating_point())


@pytest.mark.parametrize("gradient", [False, True])
def test_skip_drops_the_bad_step_and_goes_on(gradient, isolated):
    cli = main([*GAN, poison(5, gradient), "--divergence_guard.action=skip"])
    guard = next(c for c in cli.trainer.callbacks if isinstance(c, DivergenceGuard))
    probe = next(c for c in cli.trainer.callbacks if isinstance(c, InjectNaN))
    assert guard.skipped == 1
    assert all(torch.equal(b, a) for b, a in zip(probe.before, probe.after)), "the skipped D step changed D"
    assert cli.model.batches_trained == 8
    assert all(torch.isfinite(p).all() for p in cli.model.parameters())


def test_off_lets_nan_through(isolated):
    cli = main([*GAN, poison(5), "--divergence_guard.action=off"])
    assert not all(torch.isfinite(p).all() for p in cli.model.discriminator.parameters())
