"""The CLI: help, printed config, composition, overrides, interpolation, links, subcommands, the run's files,
and reproduction of a run from its saved config."""

import textwrap

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_manual import GAN
from gan_manual.cli import GANCLI, main
from helpers import TINY, config


def printed(capsys, *args) -> dict:
    with pytest.raises(SystemExit) as exit:
        main(["fit", *args, "--print_config"])
    assert exit.value.code == 0
    return yaml.safe_load(capsys.readouterr().out)


def test_help(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["fit", "--help"])
    assert exit.value.code == 0
    assert "--model.help" in capsys.readouterr().out


def test_composition_and_overrides(capsys, tmp_path):
    base = printed(capsys, "-c", config("configs/wgan.yaml"))["model"]["init_args"]
    assert base["d_steps_per_g_step"] == 5
    other = tmp_path / "other.yaml"
    other.write_text("model:\n  init_args:\n    d_steps_per_g_step: 2\n    penalty: null\n")
    composed = printed(capsys, "-c", config("configs/wgan.yaml"), "-c", str(other))["model"]["init_args"]
    assert composed["d_steps_per_g_step"] == 2 and composed["penalty"] is None
    assert composed["loss"] == base["loss"]  # the rest of the base stays
    long = printed(capsys, "-c", config("configs/wgan.yaml"), "--model.init_args.d_steps_per_g_step=3")
    short = printed(capsys, "-c", config("configs/wgan.yaml"), "--model.d_steps_per_g_step=3")
    assert long["model"]["init_args"]["d_steps_per_g_step"] == short["model"]["init_args"]["d_steps_per_g_step"] == 3


def test_omegaconf_interpolation_in_a_file(capsys, tmp_path):
    cfg = tmp_path / "interp.yaml"
    cfg.write_text(textwrap.dedent("""\
        model:
          init_args:
            d_steps_per_g_step: 4
            d_warmup_batches: ${model.init_args.d_steps_per_g_step}
        """))
    model = printed(capsys, "-c", config("configs/wgan.yaml"), "-c", str(cfg))["model"]["init_args"]
    assert model["d_warmup_batches"] == 4


def test_data_shape_is_linked_from_the_datamodule():
    cli = GANCLI(args=["-c", config("configs/toy_grid.yaml"), *TINY], run=False)  # built, not run
    assert cli.model.generator.data_shape == (2,)
    assert cli.model.discriminator.net[1].in_features == 2
    cli = GANCLI(args=["-c", config("configs/gan.yaml"), *TINY], run=False)
    assert cli.model.generator.data_shape == (1, 28, 28)


def test_fit_leaves_config_events_images_and_last_checkpoint(isolated):
    """Acceptance 1 on fake data (test_real_mnist.py runs it on MNIST)."""
    main(["fit", "-c", config("configs/wgan.yaml"), *TINY, "--trainer.limit_train_batches=20",
          "--trainer.log_every_n_steps=5"])
    run = isolated / "runs" / "wgan" / "version_0"
    assert (run / "config.yaml").is_file()
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert (run / "samples" / "epoch=000.png").is_file()
    events = EventAccumulator(str(run)).Reload()
    scalars = set(events.Tags()["scalars"])
    expected = {"train/d_loss", "train/g_loss", "train/d_penalty", "train/d_real", "train/d_fake",
                "train/d_loss_epoch", "train/g_loss_epoch", "val/d_loss", "lr-g", "lr-d"}
    assert expected <= scalars, expected - scalars
    assert "samples" in events.Tags()["images"]
    # The step axis counts training batches (global_step counts optimizer steps: 20 D + 4 G here). Each write
    # holds the means since the previous one: 5 D steps and the 1 G step of each 5-batch window.
    assert [e.step for e in events.Scalars("train/g_loss")] == [4, 9, 14, 19]
    assert [e.step for e in events.Scalars("train/d_loss")] == [4, 9, 14, 19]
    # The checkpoint loads with weights_only and rebuilds the system from its own hyperparameters.
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["gan_manual"]["batches_trained"] == 20
    model = GAN.load_from_checkpoint(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert model.generate(3).shape == (3, 1, 28, 28)


def test_learning_rates_logged_by_scheduler_name(isolated):
    main(["fit", "-c", config("configs/advanced_gan.yaml"), *TINY])
    scalars = EventAccumulator(str(isolated / "runs/advanced_gan/version_0")).Reload().Tags()["scalars"]
    assert {"lr-g", "lr-d"} <= set(scalars)
    assert "train/d_loss_rolling" not in scalars  # rolling_window: 0 in this config


def test_rolling_means_logged(isolated):
    main(["fit", "-c", config("configs/custom_training_gan.yaml"), *TINY, "--model.d_warmup_batches=1"])
    scalars = EventAccumulator(str(isolated / "runs/custom_training_gan/version_0")).Reload().Tags()["scalars"]
    assert {"train/d_loss_rolling", "train/g_loss_rolling"} <= set(scalars)


def generator_weights(run) -> dict:
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith("generator.")}


def test_saved_config_reproduces_the_run_bit_for_bit(isolated):
    """Acceptance 3: fit -c <run>/config.yaml gives the same generator, to the bit."""
    main(["fit", "-c", config("configs/custom_training_gan.yaml"), *TINY, "--trainer.limit_train_batches=6",
          "--model.d_warmup_batches=2"])
    first = isolated / "runs" / "custom_training_gan" / "version_0"
    main(["fit", "-c", str(first / "config.yaml")])
    second = isolated / "runs" / "custom_training_gan" / "version_1"
    a, b = generator_weights(first), generator_weights(second)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    main(["fit", "-c", str(first / "config.yaml"), "--seed_everything=1"])
    c = generator_weights(isolated / "runs" / "custom_training_gan" / "version_2")
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("subcommand, key", [("validate", "val/d_loss"), ("test", "test/d_loss")])
def test_validate_and_test(subcommand, key, toy_checkpoint, capsys):
    capsys.readouterr()
    main([subcommand, "-c", config("configs/toy_ring.yaml"), "--trainer.limit_val_batches=2",
          "--trainer.limit_test_batches=2", "--ckpt_path", str(toy_checkpoint)])
    assert key in capsys.readouterr().out


def test_predict_returns_samples(toy_checkpoint):
    cli = main(["predict", "-c", config("configs/toy_ring.yaml"), "--prediction.num_samples=300",
                "--return_predictions=true", "--ckpt_path", str(toy_checkpoint)])
    samples = torch.cat(cli.trainer.predict_loop.predictions)
    assert samples.shape == (300, 2)


def test_predict_draws_what_generate_draws(toy_checkpoint):
    """One way to sample: predict's batches are GAN.generate's, with the run's seed and the data's batch size."""
    cli = main(["predict", "-c", config("configs/toy_ring.yaml"), "--prediction.num_samples=300",
                "--data.init_args.batch_size=128", "--seed_everything=7", "--return_predictions=true",
                "--ckpt_path", str(toy_checkpoint)])
    samples = torch.cat(cli.trainer.predict_loop.predictions)
    assert torch.equal(samples, cli.model.generate(300, seed=7, batch_size=128))
