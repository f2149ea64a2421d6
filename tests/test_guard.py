"""The divergence guard: a NaN stops the run with one line before it reaches the weights (the last checkpoint
stays good), or, with action=skip, the bad step is dropped and training goes on."""

import pytest
import torch

from gan_manual.callbacks import DivergenceGuard
from gan_manual.guard import unhealthy
from gan_manual.cli import main
from gan_manual.sample import load
from helpers import config, toy_gan
from probes import InjectNaN

GAN = [
    "fit", "-c", config("configs/gan.yaml"), "--trainer.max_epochs=1", "--trainer.limit_train_batches=8",
    "--trainer.limit_val_batches=1", "--trainer.enable_model_summary=false", "--trainer.enable_progress_bar=false",
    "--trainer.callbacks=[]", "--checkpoint.every_n_batches=2",
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
                      "step, the last checkpoint, runs/gan/version_0/checkpoints/last.ckpt (after batch 4), is the "
                      "last good one: finite weights, optimizer states, samples and scores "
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


@pytest.mark.parametrize("action", ["stop", "skip"])
def test_a_finite_step_that_ruins_g_is_never_saved(action, capsys, isolated):
    """lr 1e30: G's first step (after 4 D-only batches) has a finite loss and gradient and puts G's weights at
    1e30, whose samples overflow. The epoch-end save at batch 5 is refused and the run stops; last.ckpt stays the
    one of batch 4, which loads and generates finite samples."""
    ruin = ["fit", "-c", config("configs/toy_ring.yaml"), "--trainer.max_epochs=2", "--trainer.limit_train_batches=5",
            "--trainer.enable_progress_bar=false", "--model.init_args.d_warmup_batches=4",
            "--model.init_args.g_optimizer.init_args.lr=1e30", f"--divergence_guard.action={action}",
            "--trainer.callbacks=[]", "--checkpoint.every_n_batches=2"]
    with pytest.raises(SystemExit) as exit:
        main(ruin)
    assert exit.value.code == 1
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: divergence by training batch 5 of the run (epoch 0): the generator gives non-finite samples (largest "
        "weight 1e+30), so the checkpoint of this point was not written; the last checkpoint, "
        "runs/toy_ring/version_0/checkpoints/last.ckpt (after batch 4), is the last good one: finite weights, "
        "optimizer states, samples and scores"], err
    checkpoints = list(isolated.rglob("*.ckpt"))
    assert [str(p.relative_to(isolated)) for p in checkpoints] == ["runs/toy_ring/version_0/checkpoints/last.ckpt"]
    for path in checkpoints:
        model = load(str(path))
        assert model.batches_trained == 4 and torch.isfinite(model.generate(500)).all()

    # Resumed, the checkpoint's optimizer state brings lr 1e30 back: the same step ruins G, and with no checkpoint
    # of its own the resumed run names the one it started from.
    with pytest.raises(SystemExit):
        main([*ruin, "--ckpt_path", str(checkpoints[0])])
    assert [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")] == [
        "error: divergence by training batch 5 of the run (epoch 0): the generator gives non-finite samples (largest "
        "weight 1e+30), so the checkpoint of this point was not written; no checkpoint was written in this run; it "
        f"resumed from {checkpoints[0]} (after batch 4)"]


def test_what_makes_a_checkpoint_unhealthy():
    model = toy_gan(g_ema_decay=0.9)
    nan, inf = torch.tensor([0.0, float("nan")]), torch.tensor([float("inf")])
    healthy = {"state_dict": model.state_dict(), "optimizer_states": [{"state": {0: {"momentum_buffer": torch.ones(2)}}}]}
    assert unhealthy(model, healthy) is None
    nan_moment = {**healthy, "optimizer_states": [{"state": {0: {"momentum_buffer": nan}}}]}
    assert unhealthy(model, nan_moment) == "its optimizer state [0].state.0.momentum_buffer is not finite"
    inf_weight = {**healthy, "state_dict": {**healthy["state_dict"], "discriminator.net.1.bias": inf}}
    assert unhealthy(model, inf_weight) == "its discriminator.net.1.bias is not finite"
    bookkeeping = {**healthy, "state_dict": {**healthy["state_dict"], "rolling.window": nan}}
    assert unhealthy(model, bookkeeping) is None, "the system's own buffers are not weights"
    with torch.no_grad():
        for p in model.generator_ema.module.parameters():
            p.fill_(1e30)  # finite weights whose output overflows
    assert unhealthy(model, healthy) == ("the generator's moving average gives non-finite samples (largest weight "
                                         "1e+30)")
    with torch.no_grad():
        for p in model.discriminator.parameters():
            p.fill_(1e30)
    model.generator_ema = None
    assert unhealthy(model, healthy) == "the discriminator gives non-finite scores (largest weight 1e+30)"


def test_off_lets_nan_through(isolated):
    cli = main([*GAN, poison(5), "--divergence_guard.action=off"])
    assert not all(torch.isfinite(p).all() for p in cli.model.discriminator.parameters())
