"""What a new user meets in the first hour: networks of one's own (checked before anything is written), help that
fits on a screen, every subcommand doing its job, values that mean what they say. Each user error: exit code 2
(a divergence: 1), exactly one ``error:`` line naming the key, file or class, no traceback, nothing written."""

import inspect
import sys
import types

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn

import gan_manual
from gan_manual.cli import main
from helpers import TINY, config, readme_example, run_cli, snapshot

GAN = ["fit", "-c", config("configs/gan.yaml"), *TINY, "--trainer.enable_progress_bar=false"]
SMALL = ["--model.init_args.generator.init_args.hidden_dims=[32]",
         "--model.init_args.discriminator.init_args.hidden_dims=[32]"]


# Networks of a user's own, named by class path (this module is importable as test_first_hour).

class NoLatentG(nn.Module):
    def __init__(self, data_shape: tuple[int, ...] = (1, 28, 28)) -> None:
        super().__init__()
        self.net = nn.Linear(10, 784)

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class WrongSizeG(nn.Module):
    def __init__(self, latent_dim: int = 8, side: int = 32) -> None:
        super().__init__()
        self.latent_dim, self.side = latent_dim, side
        self.net = nn.Linear(latent_dim, side * side)

    def forward(self, z):
        return self.net(z).view(-1, 1, self.side, self.side)


class FlatG(nn.Module):
    def __init__(self, latent_dim: int = 8) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Linear(latent_dim, 784)

    def forward(self, z):
        return self.net(z)


class ColumnD(nn.Module):
    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.LeakyReLU(0.2), nn.Linear(width, 1))

    def forward(self, x):
        return self.net(x)  # (B, 1): the contract asks for (B,)


class ShapeOnlyG(nn.Module):
    """A generator whose only argument is the linked data_shape."""

    def __init__(self, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.latent_dim, self.data_shape = 8, tuple(data_shape)
        self.net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, *self.data_shape)


class ShapeOnlyD(nn.Module):
    def __init__(self, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def assert_refused(args, capsys, folder, message, code=2):
    before = snapshot(folder)
    with pytest.raises(SystemExit) as exit:
        main(args)
    assert exit.value.code == code
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err
    assert snapshot(folder) == before, "nothing may be written"


@pytest.mark.parametrize("args, message", [
    (["--model.generator=test_first_hour.NoLatentG"],
     "model.generator: test_first_hour.NoLatentG has no positive integer latent_dim attribute"),
    (["--model.generator=test_first_hour.WrongSizeG"],
     "model.generator: test_first_hour.WrongSizeG returns (64, 1, 32, 32) for noise (64, 8); it must return "
     "(B, *data_shape) = (64, 1, 28, 28)"),
    (["--model.generator=test_first_hour.FlatG"],
     "model.generator: test_first_hour.FlatG returns (64, 784) for noise (64, 8)"),
    (["--model.discriminator=test_first_hour.ColumnD"],
     "model.discriminator: test_first_hour.ColumnD returns (64, 1) for samples (64, 1, 28, 28); it must return one "
     "raw score per sample, (64,)"),
    (["--model.init_args.discriminator.init_args.pack=3"],
     "model.discriminator: gan_manual.nets.mlp.MLPDiscriminator fails on input (64, 1, 28, 28) (ValueError: "
     "discriminator.pack=3 needs batches of a multiple of 3, got 64)"),
], ids=["no latent_dim", "32x32 images", "flat output", "D returns (B, 1)", "pack does not divide the batch"])
def test_networks_that_break_the_contract_are_named_before_anything_is_written(args, message, capsys, isolated):
    assert_refused([*GAN, *args], capsys, isolated, message)


def test_networks_whose_only_argument_is_the_data_shape(isolated):
    cli = main([*GAN, "--model.generator=test_first_hour.ShapeOnlyG", "--model.discriminator=test_first_hour.ShapeOnlyD"])
    assert cli.model.batches_trained == 4 and cli.model.generator.data_shape == (1, 28, 28)


def test_sample_names_a_network_module_that_does_not_import(isolated, tmp_path_factory, monkeypatch, capsys):
    """A checkpoint of a network that lives in the user's own file, sampled from another folder."""
    work = tmp_path_factory.mktemp("project")
    (work / "mygen.py").write_text(
        "from torch import nn\n"
        "class MyG(nn.Module):\n"
        "    def __init__(self, data_shape: tuple = (2,)):\n"
        "        super().__init__(); self.latent_dim = 2; self.net = nn.Linear(2, 2)\n"
        "    def forward(self, z): return self.net(z)\n")
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    main(["fit", "-c", config("configs/toy_ring.yaml"), *TINY,
          "--trainer.callbacks=[]", "--model.generator=mygen.MyG"])
    ckpt = work / "runs/toy_ring/version_0/checkpoints/last.ckpt"
    # As a session started in another folder sees it: mygen is not on the path and was never imported.
    sys.path.remove(str(work))
    del sys.modules["mygen"]
    monkeypatch.chdir(isolated)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        main(["sample", "--ckpt_path", str(ckpt), "--output_dir", "out"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        f"error: ckpt_path: {ckpt} names a class that does not import here (No module named 'mygen'); run from "
        f"the folder that holds its module, or add that folder to PYTHONPATH"), err
    assert "Traceback" not in err and not (isolated / "out").exists()


def _help(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit:
        main(list(args))
    assert exit.value.code == 0
    return capsys.readouterr().out


@pytest.mark.slow
def test_model_help_fits_and_describes_every_argument(isolated, fake_data):
    # In a process of its own, as a user sees it: in this one, the tests' own losses and augmentations would join
    # the "known subclasses" lists.
    result = run_cli(["fit", "--model.help", "gan_manual.GAN"], isolated, fake_data)
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout
    assert len(text.splitlines()) < 200
    flat = " ".join(text.split())
    assert "torch.nn.Identity" not in text
    assert "torch.optim.Rprop" not in text and "torch.optim.lr_scheduler.OneCycleLR" not in text  # torch's lists
    assert ("shipped: gan_manual.nets.DCGANGenerator, gan_manual.nets.MLPGenerator, gan_manual.nets.R3GANGenerator, "
            "gan_manual.nets.ResNetGenerator;" in flat)
    # Each argument's entry: its option line, then its description, which must say more than the type.
    entries = text.split("\n  --model.")[1:]
    arguments = [e for e in entries if not e.split()[0].endswith(".help")]
    named = {e.split(None, 1)[0] for e in arguments}
    assert named == set(inspect.signature(gan_manual.GAN.__init__).parameters) - {"self"}, "one entry per argument"
    for entry in arguments:
        name, description = entry.split(None, 1)[0], " ".join(entry.split("\n", 1)[-1].split())
        assert not description.startswith("("), f"--model.{name} has no description: {description}"


def test_nested_help_names_the_keys_in_full(capsys):
    text = _help(capsys, "fit", "--model.generator.help", "gan_manual.nets.MLPGenerator")
    assert "Help for --model.generator.help=gan_manual.nets.MLPGenerator" in text
    assert "--model.generator.latent_dim" in text and "\n  --generator." not in text


def test_main_help_names_the_program_and_the_sample_command(capsys):
    text = _help(capsys, "--help")
    assert text.startswith("usage: python -m gan_manual ")
    assert "python -m gan_manual sample --ckpt_path" in text
    assert "'last' for the newest last.ckpt under this config's runs folder" in " ".join(
        _help(capsys, "fit", "--help").split())


@pytest.fixture
def trained(toy_checkpoint):
    """A finished toy run: runs/toy_ring/version_0 with last.ckpt (conftest's toy run, copied here)."""
    return toy_checkpoint


def test_predict_writes_its_samples_inside_the_run(trained, isolated):
    main(["predict", "-c", config("configs/toy_ring.yaml"), "--ckpt_path", str(trained),
          "--prediction.num_samples=300", "--data.init_args.batch_size=128", "--seed_everything=3"])
    folder = isolated / "runs/toy_ring/version_0/predict/version_0"
    samples = torch.load(folder / "samples.pt", weights_only=True)
    assert samples.shape == (300, 2) and (folder / "grid.png").stat().st_size > 0
    from gan_manual import GAN
    assert torch.equal(samples, GAN.load_from_checkpoint(trained, weights_only=True).generate(300, 3, 128))
    assert sorted(p.name for p in (isolated / "runs/toy_ring").iterdir()) == ["version_0"]


@pytest.mark.parametrize("subcommand", ["validate", "test", "predict"])
def test_evaluation_without_a_checkpoint_is_refused(subcommand, capsys, isolated):
    assert_refused([subcommand, "-c", config("configs/toy_ring.yaml")], capsys, isolated,
                   f"ckpt_path: {subcommand} evaluates a trained generator: pass --ckpt_path")


@pytest.mark.parametrize("subcommand", ["validate", "test"])
def test_evaluation_logs_inside_the_run_it_evaluates(subcommand, trained, isolated, capsys):
    capsys.readouterr()
    main([subcommand, "-c", config("configs/toy_ring.yaml"), "--ckpt_path", "last", "--trainer.limit_val_batches=2",
          "--trainer.limit_test_batches=2"])
    out, err = capsys.readouterr()
    assert {"validate": "val/d_loss", "test": "test/d_loss"}[subcommand] in out
    assert "resume" not in err
    assert sorted(p.name for p in (isolated / "runs/toy_ring").iterdir()) == ["version_0"]
    assert (isolated / f"runs/toy_ring/version_0/{subcommand}/version_0/config.yaml").is_file()


def test_fast_dev_run_writes_nothing(isolated):
    main(["fit", "-c", config("configs/gan.yaml"), "--trainer.fast_dev_run=true", *SMALL])
    assert list(isolated.iterdir()) == []


@pytest.mark.parametrize("limit", ["limit_train_batches", "limit_predict_batches"])
def test_a_batch_limit_of_1_is_one_batch(limit, trained, isolated):
    if limit == "limit_train_batches":
        cli = main(["fit", "-c", config("configs/toy_ring.yaml"), "--trainer.max_epochs=1",
                    "--trainer.limit_train_batches=1", "--trainer.limit_val_batches=1"])
        assert cli.model.batches_trained == 1
        saved = yaml.safe_load((isolated / "runs/toy_ring/version_1/config.yaml").read_text())
        assert saved["trainer"]["limit_train_batches"] == 1 and isinstance(saved["trainer"]["limit_train_batches"], int)
    else:
        main(["predict", "-c", config("configs/toy_ring.yaml"), "--ckpt_path", str(trained),
              "--trainer.limit_predict_batches=1", "--data.init_args.batch_size=50"])
        samples = torch.load(isolated / "runs/toy_ring/version_0/predict/version_0/samples.pt", weights_only=True)
        assert samples.shape == (50, 2)


@pytest.mark.parametrize("args, message", [
    (["--model.g_optimizer.lr=-0.001"], "model.g_optimizer: Invalid learning rate: -0.001"),
    (["--model.d_scheduler=torch.optim.lr_scheduler.LinearLR", "--model.d_scheduler.start_factor=2"],
     "model.d_scheduler: Starting multiplicative factor expected to be greater than 0 and less or equal to 1"),
])
def test_optimizer_and_scheduler_arguments_are_checked_before_the_run(args, message, capsys, isolated):
    assert_refused([*GAN, *args], capsys, isolated, message)


def test_yaml_syntax_error_names_the_file_and_the_problem(capsys, isolated):
    (isolated / "bad.yaml").write_text("model:\n  init_args:\n   d_steps_per_g_step: 2\n    order: x\n")
    assert_refused([*GAN, "-c", "bad.yaml"], capsys, isolated,
                   "bad.yaml: line 4, column 10: mapping values are not allowed here (YAML syntax)")


@pytest.mark.parametrize("args, message", [
    (["-c", config("configs/toy_ring.yaml"), "-c", config("configs/data/mnist.yaml")],
     "trainer.callbacks: PointCloud draws 2D points; MNISTDataModule serves samples of shape (1, 28, 28)"),
    (["-c", config("configs/gan.yaml"), "--data=gan_manual.data.RingDataModule"],
     "trainer.callbacks: ImageGrid draws images (C, H, W); RingDataModule serves samples of shape (2,)"),
])
def test_data_that_does_not_fit_the_config(args, message, capsys, isolated):
    assert_refused(["fit", *args, *TINY], capsys, isolated, message)


def test_divergence_before_any_checkpoint_says_so(capsys, isolated):
    args = [*GAN, *SMALL, "--model.g_optimizer.lr=1e30", "--model.d_optimizer.lr=1e30",
            "--trainer.callbacks=[]"]
    with pytest.raises(SystemExit) as exit:
        main(args)
    assert exit.value.code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "stopped before the step, no checkpoint was written before it" in errors[0]
    assert not list(isolated.rglob("*.ckpt"))


def test_progress_bar_off_with_a_config_that_lists_one(isolated, capsys):
    cli = main([*GAN, *SMALL, "--trainer.enable_progress_bar=false"])
    assert cli.model.batches_trained == 4
    assert "ProgressBar dropped (trainer.enable_progress_bar is false)" in capsys.readouterr().err


def _scalars(run) -> set:
    return set(EventAccumulator(str(run)).Reload().Tags()["scalars"])


def test_learning_rates_are_named_by_network_and_logged_once(isolated, capsys):
    main([*GAN, *SMALL, "--trainer.callbacks+=LearningRateMonitor"])
    assert "a second LearningRateMonitor (lightning.pytorch.callbacks.LearningRateMonitor) dropped" in (
        capsys.readouterr().err)
    assert {t for t in _scalars(isolated / "runs/gan/version_0") if t.startswith("lr")} == {"lr-g", "lr-d"}
    main([*GAN, *SMALL, "--model.d_scheduler=torch.optim.lr_scheduler.ExponentialLR", "--model.d_scheduler.gamma=0.5"])
    assert {t for t in _scalars(isolated / "runs/gan/version_1") if t.startswith("lr")} == {"lr-g", "lr-d"}


def test_saved_config_records_the_data_folder_in_use(isolated, fake_data):
    main([*GAN, *SMALL])
    saved = yaml.safe_load((isolated / "runs/gan/version_0/config.yaml").read_text())
    assert saved["data"]["init_args"]["root"] == str(fake_data.resolve())


def test_readme_example_networks_train_and_every_subcommand_reads_their_checkpoint(isolated, monkeypatch, capsys):
    """The README's own conv generator and discriminator, written to a local file as the README shows; they take
    data_shape and not num_classes, which the data links into every network's arguments."""
    args = readme_example("mynets", isolated)
    monkeypatch.syspath_prepend(str(isolated))
    cli = main(args)
    assert type(cli.model.generator).__name__ == "ConvGenerator" and cli.model.batches_trained == 4
    last, saved = "runs/gan/version_0/checkpoints/last.ckpt", "runs/gan/version_0/config.yaml"
    main(["sample", "--ckpt_path", last, "--num_samples", "6", "--output_dir", "sampled"])
    assert torch.load(isolated / "sampled/samples.pt").shape == (6, 1, 28, 28)
    for subcommand in ("validate", "test", "predict"):  # without the config's metric: the checkpoint is the point
        main([subcommand, "-c", saved, "--ckpt_path", last, "--trainer.limit_val_batches=1",
              "--trainer.limit_test_batches=1", "--prediction.num_samples=6",
              "--trainer.callbacks=[]"])
    assert "Traceback" not in capsys.readouterr().err
    assert torch.load(next(isolated.glob("runs/gan/version_0/predict/version_*/samples.pt"))).shape == (6, 1, 28, 28)


def test_a_clone_that_hides_the_installed_package_is_named(isolated, monkeypatch, capsys):
    """``cd ..`` from a clone: its folder, named gan_manual and without an __init__.py, imports as an empty
    namespace package ahead of the installed one."""
    from gan_manual.__main__ import run

    (isolated / "gan_manual").mkdir()
    hiding = types.ModuleType("gan_manual")
    hiding.__path__ = [str(isolated / "gan_manual")]
    hiding.__file__ = None
    monkeypatch.setitem(sys.modules, "gan_manual", hiding)
    with pytest.raises(SystemExit) as exit:
        run(["fit", "-c", "gan_manual/configs/toy_ring.yaml"])
    assert exit.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {isolated}/gan_manual: this folder (a clone of the project?) hides the installed gan_manual package, "
        f"since Python imports from the current folder first; run from inside it (cd {isolated}/gan_manual) or from "
        f"another folder"]


def test_a_torchvision_built_for_another_torch_is_one_line_naming_both(monkeypatch, capsys):
    """What importing torchvision says (after some 40 lines) when pip paired it with another torch."""
    from importlib import metadata

    from gan_manual import __main__

    def broken(name):
        raise RuntimeError("operator torchvision::nms does not exist")

    monkeypatch.setattr(__main__, "importlib", types.SimpleNamespace(import_module=broken))
    with pytest.raises(SystemExit) as exit:
        __main__.run(["fit", "-c", config("configs/gan.yaml")])
    assert exit.value.code == 2
    torch_version = metadata.version("torch")
    assert capsys.readouterr().err.splitlines() == [
        f"error: torchvision {metadata.version('torchvision')} was built for another torch than the installed "
        f"{torch_version} (operator torchvision::nms does not exist); install a matching pair: pip install "
        f"torch=={torch_version.split('+')[0]} 'torchvision==0.{int(torch_version.split('.')[1]) + 15}.*'"]
