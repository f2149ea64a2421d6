"""What a run resumes from: finding ``last.ckpt``, reading it safely, and saying how its config differs.

Precedence on resume (Lightning's CLI would silently replace the model's config with the checkpoint's): the
config given now builds the system, data and trainer; the checkpoint supplies state only: weights, optimizer
moments, scheduler positions, counters, RNG and data position. Optimizers and schedulers restore their
hyperparameters (lr, betas, step_size...) with their state, so for those keys the checkpoint's value stays.
Every key that differs is printed with the value that wins.
"""

import os
import zipfile
from pathlib import Path
from typing import Any, Iterable, Optional

import torch
from torch import nn

from gan_manual.console import note
from gan_manual import upgrade
from gan_manual.errors import ConfigError

#: Keys whose checkpointed value stays on resume: these objects load their hyperparameters with their state.
STATEFUL = ("g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler")


def output_folders(trainer: Any) -> list[Path]:
    """Where runs of a config write (``trainer`` is its parsed trainer section): each logger's ``save_dir/name``,
    else ``default_root_dir``."""
    loggers = trainer.get("logger")
    folders = []
    for logger in loggers if isinstance(loggers, list) else [loggers]:
        init = getattr(logger, "init_args", None) if logger not in (None, True, False) else None
        if init is not None and init.get("save_dir"):
            folders.append(Path(init.save_dir) / str(init.get("name") or ""))
    root = Path(trainer.get("default_root_dir") or os.getcwd())
    return folders or [root / "lightning_logs", root / "checkpoints"]


def find_last(folders: Iterable[Path]) -> Optional[Path]:
    """The most recently written ``last.ckpt`` under any of ``folders``."""
    found = [p for folder in folders if folder.is_dir() for p in folder.rglob("last.ckpt")]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def read_checkpoint(path: str) -> dict[str, Any]:
    """The checkpoint at ``path``, loaded with ``weights_only=True``; a missing, truncated or foreign file is a
    ConfigError."""
    if not Path(path).is_file():
        raise ConfigError(f"ckpt_path: no file {path}")
    _check_integrity(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # zip reader, unpickler and EOF errors all mean the same thing here
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"ckpt_path: {path} is not a readable checkpoint, truncated or corrupted ({reason})") from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ConfigError(f"ckpt_path: {path} is not a Lightning checkpoint (it has no state_dict)")
    return checkpoint


def _check_integrity(path: str) -> None:
    """Every member of the checkpoint's zip container matches its CRC: torch.load does not check them, so bytes
    changed on disk would load as silently different weights or optimizer moments."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip container: torch.load says what it is
    with archive:
        try:
            bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as err:  # a member's header itself is damaged
            bad = f"a member ({err})"
    if bad is not None:
        raise ConfigError(f"ckpt_path: {path} is corrupted: {bad} fails the zip container's CRC check (its bytes "
                          f"changed after it was written); use an earlier checkpoint")


def check_same_model(model: nn.Module, checkpoint: dict[str, Any], path: str) -> None:
    """Raises a ConfigError naming the first differences when ``checkpoint`` holds a differently built model."""
    ours = model.state_dict()
    theirs = upgrade.state_dict(dict(checkpoint["state_dict"]))
    problems = [
        f"{k} is {tuple(theirs[k].shape)} there, {tuple(v.shape)} here"
        for k, v in ours.items()
        if k in theirs and tuple(theirs[k].shape) != tuple(v.shape)
    ]
    problems += [f"it lacks {k}" for k in ours if k not in theirs]
    problems += [f"it has {k}, this model does not" for k in theirs if k not in ours]
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise ConfigError(
            f"ckpt_path: {path} holds a different model ({'; '.join(problems[:3])}{more}); resume with the "
            f"config it was trained with (its run folder has config.yaml)"
        )


def _as_config(hparams: dict[str, Any]) -> dict[str, Any]:
    """Lightning's saved hyperparameters ``{"_class_path": c, **init_args}`` -> ``{"class_path", "init_args"}``."""
    hparams = {k: v for k, v in hparams.items() if k != "_instantiator"}
    if "_class_path" not in hparams:
        return {"init_args": hparams}
    return {"class_path": hparams.pop("_class_path"), "init_args": hparams}


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}"))
        return flat
    if isinstance(value, tuple):
        value = list(value)
    return {prefix: value}


_UNSET = object()


def _show(value: Any) -> str:
    return "<unset>" if value is _UNSET else repr(value)


def report_differences(checkpoint: dict[str, Any], config: dict[str, Any], path: str, subcommand: str) -> None:
    """Prints each key of ``model`` and ``data`` whose value in ``config`` (the parsed config of ``subcommand``, as
    a dict) differs from the checkpoint's, with the value that is used."""
    saved: dict[str, Any] = {}
    now: dict[str, Any] = {}
    for key, hparams in (("model", "hyper_parameters"), ("data", "datamodule_hyper_parameters")):
        if checkpoint.get(hparams):  # compared only where the checkpoint recorded them
            recorded = checkpoint[hparams] if key == "model" else upgrade.datamodule_hparams(checkpoint[hparams])
            saved.update(_flatten(_as_config(recorded), key))
            now.update(_flatten(config.get(key) or {}, key))
    differ = []
    for key in sorted(set(saved) | set(now)):
        if key.endswith((".data_shape", ".num_classes", ".dict_kwargs")):
            continue  # filled in from the datamodule when the classes are built; not a setting
        old, new = saved.get(key, _UNSET), now.get(key, _UNSET)
        if old != new and not (old is _UNSET and new is None) and not (new is _UNSET and old is None):
            differ.append((key, old, new))
    if differ:
        heading = "resume" if subcommand == "fit" else subcommand
        note(f"{heading}: the config differs from the one saved in {path} ({len(differ)} keys):")
    for key, old, new in differ:
        stays = subcommand == "fit" and any(f".{name}." in f"{key}." for name in STATEFUL)
        winner = (
            f"the checkpoint's {_show(old)} stays (restored with the optimizer/scheduler state)"
            if stays
            else f"{_show(new)} is used"
        )
        note(f"  {key}: {_show(old)} in the checkpoint, {_show(new)} now -> {winner}")
