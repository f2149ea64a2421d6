"""What the CLI checks before anything is built or written: config files that do not parse, output folders
that cannot be written, networks that break the contract, optimizers and schedulers that refuse their
arguments, callbacks that do not fit the data, a checkpoint of another model. Each raises a ConfigError whose
message is the one line the user reads. A choice that runs, but far slower than the user would expect on this
machine, gets a note instead."""

from pathlib import Path
from typing import Any, Optional

import lightning as L
from lightning.pytorch.accelerators import CPUAccelerator
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from gan_manual import machine, yamlfile
from gan_manual.console import check_writable, note
from gan_manual.errors import ConfigError
from gan_manual.nets.contract import check_networks
from gan_manual.optimization import NETWORKS
from gan_manual.system import GAN


def check_config_files(args: list[str]) -> None:
    """Each ``-c FILE`` / ``--config FILE`` in ``args`` that exists is UTF-8 text holding a YAML mapping, with no
    key twice, whose ``${...}`` interpolations resolve (jsonargparse's omegaconf mode resolves each file on its
    own, as here); else one line naming the file (for a syntax error, the line, the column and what the YAML
    reader expected)."""
    files = [value for option, value in zip(args, args[1:]) if option in ("-c", "--config")]
    files += [arg.split("=", 1)[1] for arg in args if arg.startswith("--config=")]
    for name in files:
        path = Path(name)
        try:
            is_file = path.is_file()
        except OSError:  # too long for a file name: a config's text, which jsonargparse takes in place of a file
            is_file = False
        if not is_file:
            continue  # jsonargparse says so
        content = yamlfile.read(path, name)
        if not isinstance(content, dict):
            what = "empty" if content is None else f"a YAML {type(content).__name__}, not a mapping"
            raise ConfigError(f"{name}: the file is {what}; a config file maps keys to values (seed_everything:, "
                              f"trainer:, model:, data:, ckpt_path:, or a section's own keys)")
        try:
            OmegaConf.to_container(OmegaConf.create(content), resolve=True)
        except OmegaConfBaseException as error:
            key = f" at {error.full_key}" if getattr(error, "full_key", None) else ""
            reason = str(error).splitlines()[0]
            raise ConfigError(f"{name}: the interpolation{key} does not resolve: {reason} (a ${{...}} names a key "
                              f"of the same file)") from error


def check_outputs(trainer: L.Trainer) -> None:
    """Every folder the run will write to can be created and written."""
    folders = [("trainer.default_root_dir", trainer.default_root_dir)]
    folders += [("trainer.logger.init_args.save_dir", lg.save_dir) for lg in trainer.loggers if lg.save_dir]
    folders += [("ModelCheckpoint.dirpath", cb.dirpath) for cb in trainer.checkpoint_callbacks
                if getattr(cb, "dirpath", None)]
    for key, folder in folders:
        check_writable(key, Path(folder))


def check_model(model: GAN, datamodule: Optional[L.LightningDataModule], fitting: bool) -> None:
    """The networks keep the contract on this data's shape and batch size; when fitting, every optimizer and
    scheduler builds from its arguments (torch checks them: a negative learning rate, say)."""
    data_shape = getattr(datamodule, "data_shape", None)
    if data_shape is not None:
        class_logits = check_networks(model.generator, model.discriminator, data_shape,
                                      getattr(datamodule, "batch_size", 4), getattr(datamodule, "num_classes", None))
        if class_logits and model.class_loss is None:
            raise ConfigError("model.class_loss: the discriminator returns class logits (ACGAN) and nothing trains "
                              "them; set model.class_loss=gan_manual.losses.AuxiliaryClassifierLoss")
        if model.class_loss is not None and not class_logits:
            raise ConfigError("model.class_loss: set, but the discriminator returns no class logits; use one with "
                              "condition=classifier, or unset model.class_loss")
    frequencies = getattr(datamodule, "label_frequencies", None)
    if model.num_classes and frequencies is not None:
        frequencies()  # every training label in [0, num_classes), or one line naming the first that is not
    if getattr(datamodule, "clusters", None) is not None and not model.num_classes:
        raise ConfigError("data.clusters: set, but the networks are unconditional and would not use the cluster "
                          "labels; give both networks a condition (configs/cdcgan.yaml's), or unset data.clusters")
    if not fitting:
        return
    for network, short in NETWORKS.items():
        optimizer = _build(f"model.{short}_optimizer", model.optimization.optimizers[network],
                           getattr(model, network).parameters())
        scheduler = model.optimization.schedulers[network]
        if scheduler is not None:
            _build(f"model.{short}_scheduler", scheduler, optimizer)


def _build(key: str, build: Any, argument: Any) -> Any:
    try:
        return build(argument)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{key}: {error}") from error


def check_callbacks(trainer: L.Trainer, datamodule: Optional[L.LightningDataModule],
                    model: Optional[L.LightningModule] = None) -> None:
    """Callbacks that say what data they need (``check(datamodule)``: sample pictures, metrics) or what of the
    system they move (``check_system(model)``: ramps) get to say it now."""
    for callback in trainer.callbacks:
        check = getattr(callback, "check", None)
        if callable(check) and datamodule is not None:
            check(datamodule)
        check_system = getattr(callback, "check_system", None)
        if callable(check_system) and model is not None:
            check_system(model)


def note_slow_precision(trainer: L.Trainer) -> None:
    """bfloat16 on a CPU that emulates it: the run is right, but its convolutions are several times slower than in
    float32, which a config written on another CPU cannot know."""
    if (isinstance(trainer.accelerator, CPUAccelerator) and str(trainer.precision).startswith("bf16")
            and not machine.native_bfloat16()):
        note(f"trainer.precision: {trainer.precision} on a CPU without native bfloat16 (no AVX512-BF16 or AMX: "
             f"torch emulates it), so convolutions run several times slower than with --trainer.precision=32-true")
