"""Changes the CLI makes to a parsed config before anything is built, each said on stderr: what a run needs that
the config cannot say well (the data folder in use, DDP for GANs, where evaluation writes) and what would
otherwise fail or be doubled (a progress bar turned off but listed, a callback listed twice). One more is not
said, as it changes no figure: TensorBoard's placeholder ``hp_metric`` of -1 is off (``Evaluate`` gives the
HParams record its figures)."""

import inspect
from importlib import import_module
from pathlib import Path
from typing import Any, Optional

from jsonargparse import Namespace
from lightning.pytorch.callbacks import LearningRateMonitor, ProgressBar
from lightning.pytorch.loggers import TensorBoardLogger

from gan_manual.checkpoint import ResumeCheckpoint
from gan_manual.console import note
from gan_manual.errors import ConfigError

#: Lightning's DDP strategy names -> the same with find_unused_parameters=True.
DDP_FOR_GANS = {
    name: f"{name}_find_unused_parameters_true" for name in ("ddp", "ddp_spawn", "ddp_fork", "ddp_notebook")
}


def normalize(config: Namespace) -> None:
    """The changes that do not depend on the checkpoint, on the config of one subcommand."""
    listed_checkpoint(config)
    record_data_root(config)
    drop_extra_callbacks(config)
    ddp_for_gans(config)
    no_placeholder_hp_metric(config)


def _class_of(entry: Any) -> Optional[type]:
    """The class a ``class_path`` entry names, if it imports (jsonargparse has resolved short names by now)."""
    path = entry.get("class_path") if isinstance(entry, Namespace) else None
    if not isinstance(path, str) or "." not in path:
        return None
    module, name = path.rsplit(".", 1)
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def record_data_root(config: Namespace) -> None:
    """``data.root: null`` means the datamodule's default folder ($GAN_MANUAL_DATA, else ./data): the saved
    config records the folder actually used, so it says where the run's data came from."""
    data = config.get("data")
    init = data.get("init_args") if isinstance(data, Namespace) else None
    default = getattr(_class_of(data), "default_root", None)
    if init is not None and "root" in init and init.root is None and callable(default):
        init.root = str(Path(default()).resolve())


def no_placeholder_hp_metric(config: Namespace) -> None:
    """``default_hp_metric: false`` for every TensorBoardLogger: Lightning's would write an HParams record with
    ``hp_metric = -1`` first, and TensorBoard shows the first record of a run, not Evaluate's."""
    loggers = config.trainer.get("logger")
    for entry in loggers if isinstance(loggers, list) else [loggers]:
        cls = _class_of(entry)
        if cls is not None and issubclass(cls, TensorBoardLogger) and entry.get("init_args") is not None:
            entry.init_args.default_hp_metric = False


def listed_checkpoint(config: Namespace) -> None:
    """A ResumeCheckpoint in ``trainer.callbacks`` (from a callback list of one's own, or the command line; a
    config file's are moved as it is read, :mod:`gan_manual.upgrade`) leaves the list for the ``checkpoint``
    section every run has: its arguments take the section's place where the section has its defaults."""
    callbacks = config.trainer.get("callbacks")
    listed = [entry for entry in callbacks if _is_checkpoint(entry)] if isinstance(callbacks, list) else []
    if not listed:
        return
    defaults = {name: p.default for name, p in inspect.signature(ResumeCheckpoint.__init__).parameters.items()}
    for entry in listed:
        for key, value in vars(entry.get("init_args") or Namespace()).items():
            if key in config.checkpoint and config.checkpoint[key] == defaults.get(key):
                config.checkpoint[key] = value
    config.trainer.callbacks = [entry for entry in callbacks if not _is_checkpoint(entry)]
    note("trainer.callbacks: ResumeCheckpoint is the checkpoint section now, which every run has; its arguments "
         "moved there (--checkpoint.every_n_batches=...)")


def _is_checkpoint(entry: Any) -> bool:
    cls = _class_of(entry)
    return cls is not None and issubclass(cls, ResumeCheckpoint)


def drop_extra_callbacks(config: Namespace) -> None:
    """Drops progress bars when ``trainer.enable_progress_bar`` is false (Lightning would refuse the run), a
    second LearningRateMonitor (every rate would be logged twice), and exact repeats of a callback."""
    callbacks = config.trainer.get("callbacks")
    if not isinstance(callbacks, list):
        return
    kept: list[Any] = []
    for entry in callbacks:
        cls = _class_of(entry)
        name = entry.get("class_path") if isinstance(entry, Namespace) else type(entry).__name__
        if cls is not None and issubclass(cls, ProgressBar) and config.trainer.get("enable_progress_bar") is False:
            note(f"trainer.callbacks: {name} dropped (trainer.enable_progress_bar is false)")
            continue
        if any(_same(entry, other) for other in kept):
            note(f"trainer.callbacks: {name} is listed twice with the same arguments; the second is dropped")
            continue
        if cls is not None and issubclass(cls, LearningRateMonitor) and any(
                (c := _class_of(other)) is not None and issubclass(c, LearningRateMonitor) for other in kept):
            note(f"trainer.callbacks: a second LearningRateMonitor ({name}) dropped: it would log every rate twice")
            continue
        kept.append(entry)
    config.trainer.callbacks = kept


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Namespace) and isinstance(b, Namespace):
        return a.as_dict() == b.as_dict()
    return a is b


def ddp_for_gans(config: Namespace) -> None:
    """A GAN's backward passes each reach one network only. DDP's default find_unused_parameters=False then
    stops at the first step ("parameters that were not used in producing the loss"), so the plain DDP names get
    find_unused_parameters=True, which marks the other network's parameters as done; the _false names are
    refused."""
    strategy = config.trainer.get("strategy")
    if isinstance(strategy, str) and strategy in DDP_FOR_GANS:
        note(f"trainer.strategy: {strategy} -> {DDP_FOR_GANS[strategy]} (each backward of a GAN reaches one "
             "network only)")
        config.trainer.strategy = DDP_FOR_GANS[strategy]
    elif isinstance(strategy, str) and strategy.endswith("find_unused_parameters_false"):
        raise ConfigError(
            f"trainer.strategy: {strategy} cannot train a GAN (each backward reaches one network only); "
            f"use {strategy[: -len('false')]}true or ddp"
        )


def run_folder(ckpt_path: str) -> Path:
    """The run a checkpoint belongs to: ``runs/<name>/version_N`` for ``.../version_N/checkpoints/last.ckpt``,
    else the checkpoint's own folder."""
    folder = Path(ckpt_path).parent
    return folder.parent if folder.name == "checkpoints" else folder


def evaluation_folder(config: Namespace, subcommand: str) -> None:
    """``validate``, ``test`` and ``predict`` log inside the run they evaluate, ``<run>/<subcommand>/version_N``,
    not as new runs beside the training runs."""
    logger, ckpt = config.trainer.get("logger"), config.get("ckpt_path")
    init = logger.get("init_args") if isinstance(logger, Namespace) else None
    if ckpt and init is not None and "save_dir" in init and "name" in init:
        init.save_dir, init.name = str(run_folder(ckpt)), subcommand
