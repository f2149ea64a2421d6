"""The private names of Lightning, torch and torchvision that gan_manual.compat uses, one test each: each still
exists in the installed version, takes what compat gives it, and is reached where compat relies on it. A version
that moves one fails here first, with the name."""

import inspect

import lightning as L
import pytest
import torch
from lightning.pytorch import callbacks, cli
from lightning.pytorch.loggers import CSVLogger
from torchvision import datasets

from gan_manual import compat
from gan_manual.cli import GANCLI, main
from gan_manual.data import RingDataModule
from helpers import TINY, config, toy_gan, write_fake_cifar10

GAN = ["fit", "-c", config("configs/gan.yaml"), *TINY, "--trainer.enable_progress_bar=false"]


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_lightning_cli_parses_the_checkpoint_path_through_the_public_hook(isolated, monkeypatch):
    assert parameters(cli.LightningCLI._parse_ckpt_path) == ["self"]
    called, ours = [], GANCLI.parse_ckpt_path
    monkeypatch.setattr(GANCLI, "parse_ckpt_path", lambda self: called.append(self.config.subcommand) or ours(self))
    main(GAN)
    assert called == ["fit"]


def test_lightning_cli_shows_its_dumped_config_once(isolated, monkeypatch):
    assert parameters(cli.LightningCLI._dump_config) == ["self"]
    dumps = []
    monkeypatch.setattr(GANCLI, "after_dump_config", lambda self, dump: dumps.append(dump))
    main(GAN)
    [dump] = dumps  # the hyperparameters' dump, which SaveConfigCallback reuses for config.yaml
    assert dump["model"]["class_path"] == "gan_manual.GAN" and "trainer" in dump


def test_model_checkpoint_helpers_write_last_once_per_step(tmp_path):
    for name, arguments in [("_should_save_on_train_epoch_end", ["self", "trainer"]),
                            ("_should_skip_saving_checkpoint", ["self", "trainer"]),
                            ("_save_last_checkpoint", ["self", "trainer", "monitor_candidates"]),
                            ("_monitor_candidates", ["self", "trainer"])]:
        assert parameters(getattr(callbacks.ModelCheckpoint, name)) == arguments, name

    class SaveAtEnd(compat.HookedModelCheckpoint):
        def on_train_end(self, trainer, pl_module):
            self.written = [self.save_last_now(trainer), self.save_last_now(trainer)]

    checkpoint = SaveAtEnd(dirpath=tmp_path, save_last=True, save_top_k=0)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=0, logger=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[checkpoint])
    trainer.fit(toy_gan(), RingDataModule(num_samples=64, batch_size=16, seed=0))
    assert checkpoint.written == [True, False], "the second save at the same step is skipped"
    # (outside the CLI the system's hyperparameters hold its modules, which weights_only refuses)
    assert torch.load(tmp_path / "last.ckpt", weights_only=False)["global_step"] == trainer.global_step
    assert checkpoint.saves_on_train_epoch_end(trainer)  # no validation: it saves at the epoch's end


def test_learning_rate_monitor_names_pass_through_rename(tmp_path):
    assert parameters(callbacks.LearningRateMonitor._find_names_from_optimizers) == [
        "self", "optimizers", "seen_optimizers", "seen_optimizer_types"]

    class Renamed(compat.HookedLearningRateMonitor):
        def rename(self, names, without_scheduler, optimizers):
            return [[f"rate-{optimizers.index(o)}" for _ in group] for group, o in zip(names, without_scheduler)]

    monitor = Renamed()
    trainer = L.Trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=0, logger=CSVLogger(tmp_path),
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        callbacks=[monitor])
    trainer.fit(toy_gan(), RingDataModule(num_samples=64, batch_size=16, seed=0))
    assert set(monitor.lrs) == {"rate-0", "rate-1"}


def test_cifar10_reader_skips_its_checks(tmp_path):
    assert parameters(datasets.CIFAR10._check_integrity) == ["self"]
    assert parameters(datasets.CIFAR10._load_meta) == ["self"]
    root = write_fake_cifar10(tmp_path)
    with pytest.raises(RuntimeError, match="corrupted"):
        datasets.CIFAR10(str(root), train=False)  # the fake files do not match the originals' MD5 sums
    assert len(compat.UnverifiedCIFAR10(str(root), train=False)) == 64


def test_torch_tells_whether_this_cpu_has_native_bfloat16():
    for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        assert isinstance(getattr(torch.cpu, name)(), bool), name
    assert isinstance(compat.native_bfloat16(), bool)


def test_foreach_lerp_moves_each_tensor_toward_its_end():
    tensors, ends = [torch.zeros(3), torch.ones(2)], [torch.full((3,), 4.0), torch.full((2,), 3.0)]
    compat.lerp_(tensors, ends, 0.25)
    assert torch.equal(tensors[0], torch.full((3,), 1.0)) and torch.equal(tensors[1], torch.full((2,), 1.5))


def test_jsonargparse_omegaconf_loader_reads_through_the_upgrade(isolated):
    """The loader of compat.upgrading_loader interpolates as jsonargparse's omegaconf mode does, then upgrades."""
    from jsonargparse import ArgumentParser

    seen = []
    mode = compat.upgrading_loader(lambda loaded: seen.append(loaded) or loaded)
    parser = ArgumentParser(parser_mode=mode, exit_on_error=False)
    parser.add_argument("--config", action="config")
    parser.add_argument("--a", type=int)
    parser.add_argument("--b", type=int)
    (isolated / "c.yaml").write_text("a: 3\nb: ${a}\n")
    parsed = parser.parse_args(["--config", str(isolated / "c.yaml")])
    assert (parsed.a, parsed.b) == (3, 3) and {"a": 3, "b": 3} in seen
