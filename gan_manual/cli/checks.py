"""What the CLI checks before anything is built or written: config files that do not parse, numbers that are not
finite, a run that would train no batch, output folders that cannot be written, networks that break the contract
or do not fit in memory, optimizers and schedulers that refuse their arguments, callbacks that do not fit the
data, a checkpoint of another model. Each raises a ConfigError whose
message is the one line the user reads. A choice that runs, but far slower than the user would expect on this
machine, gets a note instead."""

import math
from pathlib import Path
from typing import Any, Optional

import lightning as L
from jsonargparse import Namespace
from lightning.pytorch.accelerators import CPUAccelerator
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from gan_manual import files, machine, yamlfile
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
        _check_parts(content, path, [path.resolve()])


def _check_parts(content: Any, path: Path, chain: list[Path]) -> None:
    """The parts a config file includes by path (``callbacks: callbacks/mnist.yaml``, relative to the including
    file), and theirs, include none of the files above them: a loop would otherwise be parsed until jsonargparse
    gave up with a message about implicit class paths."""
    values = content.values() if isinstance(content, dict) else content if isinstance(content, list) else [content]
    for value in values:
        if isinstance(value, (dict, list)):
            _check_parts(value, path, chain)
        elif isinstance(value, str) and value.endswith((".yaml", ".yml")):
            # jsonargparse looks for it beside the including file, else in the working folder
            part = next((p.resolve() for p in (path.parent / value, Path(value)) if p.is_file()), None)
            if part in chain:
                loop = " -> ".join(p.name for p in [*chain, part])
                raise ConfigError(f"{chain[-1]}: includes {value}, which includes it again ({loop}); a part cannot "
                                  f"include a file that includes it")
            if part is not None:
                _check_parts(yamlfile.read(part, str(part)), part, [*chain, part])


def check_finite(config: Any, key: str = "") -> None:
    """Every number in the parsed ``config`` is finite: a nan or inf (``--data.radius=inf``) is refused naming its
    key, rather than found as a divergence after the run began."""
    if isinstance(config, (dict, Namespace)):
        for name, value in (config.items() if isinstance(config, dict) else vars(config).items()):
            check_finite(value, f"{key}.{name}" if key else name)
    elif isinstance(config, (list, tuple)):
        for i, value in enumerate(config):
            check_finite(value, f"{key}[{i}]")
    elif isinstance(config, float) and not math.isfinite(config):
        raise ConfigError(f"{key.replace('.init_args.', '.')}: must be a finite number, not {config}")


def check_training_length(trainer: L.Trainer) -> None:
    """The run trains at least one batch: ``max_epochs`` or ``limit_train_batches`` of 0 would make a run folder
    and no checkpoint."""
    if trainer.max_epochs == 0:
        raise ConfigError("trainer.max_epochs: 0 trains nothing; give 1 or more (or -1: until max_steps)")
    if trainer.limit_train_batches == 0:
        raise ConfigError("trainer.limit_train_batches: 0 trains nothing; give a number of batches (1 or more) or a "
                          "fraction of the data in (0, 1]")


def check_memory(model: GAN, trainer: L.Trainer) -> None:
    """On a CPU, training fits in the memory there is: the weights, their gradients and Adam's two moments, four
    times the networks' size, and the moving average of G. A size mistyped by a few zeros is refused here, not
    by an allocation deep inside the first step."""
    if not isinstance(trainer.accelerator, CPUAccelerator):
        return
    available = machine.available_memory()
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    needed = 4 * size + sum(p.numel() * p.element_size() for p in model.sampling_generator.parameters())
    if available is not None and needed > available:
        count = sum(p.numel() for p in model.parameters())
        raise ConfigError(f"model: the networks have {count:,} parameters ({files.size(size)}); training them needs "
                          f"about {files.size(needed)} (weights, gradients, Adam's moments) and this machine has "
                          f"{files.size(available)} available; make them smaller (latent_dim, hidden_dims, width)")


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
