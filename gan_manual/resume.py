"""What a run resumes from: finding the ``last.ckpt`` of the run it continues, reading it safely, and saying how its
config differs.

Precedence on resume (Lightning's CLI would silently replace the model's config with the checkpoint's): the
config given now builds the system, data and trainer; the checkpoint supplies state only: weights, optimizer
moments, scheduler positions, counters, RNG and data position. Optimizers and schedulers restore their
hyperparameters (lr, betas, step_size...) with their state, so for those keys the checkpoint's value stays.
Every key that differs from the run's saved ``config.yaml`` is printed with the value that wins, and whether it
may change the run's bits (all but :data:`SHOWN_ONLY`).
"""

import os
import zipfile
from pathlib import Path
from typing import Any, Iterable, Optional

import torch
import yaml
from torch import nn

from gan_manual import lock, upgrade
from gan_manual.console import note
from gan_manual.errors import ConfigError

#: Keys whose checkpointed value stays on resume: these objects load their hyperparameters with their state.
STATEFUL = ("g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler")
#: Keys that change what a run shows, where it writes or how long it goes on, not what it computes: resumed with
#: other values, the run trains to the bits it would have had. Every other key may change them.
SHOWN_ONLY = ("ckpt_path", "prediction", "trainer.logger", "trainer.enable_progress_bar",
              "trainer.enable_model_summary", "trainer.log_every_n_steps", "trainer.max_epochs", "trainer.max_steps",
              "trainer.max_time", "trainer.default_root_dir")
#: Not compared: keys filled in from the datamodule when the classes are built, and the checkpoint itself.
_NOT_SETTINGS = (".data_shape", ".num_classes", ".dict_kwargs", ".ckpt_path")


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


def newest_last(folders: Iterable[Path]) -> Optional[tuple[Path, str]]:
    """The most recently written ``last.ckpt`` under any of ``folders``, with why: what evaluation takes."""
    found = [p for folder in folders if folder.is_dir() for p in folder.rglob("last.ckpt")]
    return (max(found, key=lambda p: p.stat().st_mtime), "the newest") if found else None


class Run:
    """A run that ``--ckpt_path last`` may continue: its ``last.ckpt``, its saved config (None if it has none) and
    whether its process is alive (it holds its folder's lock: :class:`gan_manual.cli.run_folder.RunFolder`)."""

    def __init__(self, last: Path) -> None:
        self.last = last
        self.folder = last.parent.parent
        self.config = saved_config(self.folder)
        self.alive = lock.held(self.folder)

    @property
    def continues(self) -> Optional[Path]:
        """The checkpoint this run resumed from, if any."""
        given = (self.config or {}).get("ckpt_path")
        return Path(given).resolve() if isinstance(given, str) and given.endswith(".ckpt") else None


def find_last(folders: Iterable[Path], now: dict[str, Any]) -> Optional[tuple[Path, str]]:
    """The ``last.ckpt`` that ``--ckpt_path last`` continues, with why, for the config ``now`` (the parsed ``fit``
    config, as a dict); None if there is none under ``folders``.

    Runs that are alive, and runs that another run continues (which holds their continuation), are left out. Of
    the others, the newest whose saved config differs from ``now`` in no key that may change its bits; else,
    where it is the only checkpoint there, that one; else a ConfigError saying why none is taken (the run of this
    config is alive, or several could be meant and choosing would be a guess)."""
    lasts = sorted({p for folder in folders if folder.is_dir() for p in folder.rglob("last.ckpt")},
                   key=lambda p: p.stat().st_mtime, reverse=True)
    if not lasts:
        return None
    runs = [Run(p) for p in lasts]
    continued = {run.continues for run in runs if run.alive or (run.folder / "checkpoints" / "last.ckpt").is_file()}
    candidates = [run for run in runs if not run.alive and run.last.resolve() not in continued]
    alive = [run.folder.name for run in runs if run.alive]
    besides = f"; {', '.join(alive)} running now" if alive else ""
    where = ", ".join(map(str, folders))
    same = [run for run in runs if run.config is not None and not bit_changes(differences(run.config, now))]
    if any(run in candidates for run in same):
        same = [run for run in same if run in candidates]
        more = len(same) - 1
        older = f"; {more} older run{'s match' if more > 1 else ' matches'} too" if more else ""
        return same[0].last, f"the newest run whose saved config matches this one{older}{besides}"
    if any(run.alive for run in same):
        raise ConfigError(f"ckpt_path: last: the run of this config under {where} is running now "
                          f"({', '.join(run.folder.name for run in same if run.alive)}); wait for it to end, or pass "
                          f"the checkpoint to continue as --ckpt_path")
    if len(runs) == 1 and candidates:
        return candidates[0].last, "the only run there, though its config differs"
    listed = "; ".join(f"{run.last} ({_differ_in(run, now)})" for run in candidates) or "none"
    raise ConfigError(f"ckpt_path: last: no run under {where} has this config, and {len(candidates)} could be "
                      f"continued: {listed}{besides}; pass the one to continue as --ckpt_path")


def _differ_in(run: Run, now: dict[str, Any]) -> str:
    if run.config is None:
        return "no saved config.yaml"
    keys = [key for key, _, _ in bit_changes(differences(run.config, now))]
    return f"differs in {', '.join(keys[:3])}{f' and {len(keys) - 3} more' if len(keys) > 3 else ''}"


def saved_config(folder: Path) -> Optional[dict[str, Any]]:
    """The config saved in a run's ``folder`` (``config.yaml``), as today's keys; None where there is none or it
    does not read."""
    try:
        saved = yaml.safe_load((folder / "config.yaml").read_text())
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return upgrade.config(saved) if isinstance(saved, dict) else None


def differences(saved: dict[str, Any], now: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, value in ``saved``, value in ``now``) for every key whose values differ (a key one side lacks is
    ``<unset>`` there), in order of the keys."""
    old, new = _flatten(saved, ""), _flatten(now, "")
    found = []
    for key in sorted(set(old) | set(new)):
        if key.endswith(_NOT_SETTINGS):
            continue
        a, b = old.get(key, _UNSET), new.get(key, _UNSET)
        if a != b and not (a is _UNSET and b is None) and not (b is _UNSET and a is None):
            found.append((key.removeprefix("."), a, b))
    return found


def bit_changes(found: list[tuple[str, Any, Any]]) -> list[tuple[str, Any, Any]]:
    """The differences of a resume that may change the run's bits: of keys not in :data:`SHOWN_ONLY`, whose
    checkpointed value does not stay (:data:`STATEFUL`)."""
    return [item for item in found if not shown_only(item[0]) and not stays(item[0])]


def shown_only(key: str) -> bool:
    return any(key == shown or key.startswith(f"{shown}.") for shown in SHOWN_ONLY)


def stays(key: str) -> bool:
    """Whether a resume keeps the checkpoint's value of ``key``: an optimizer's or scheduler's setting."""
    return any(f".{name}." in f".{key}." for name in STATEFUL)


def finished(checkpoint: dict[str, Any], trainer: Any) -> Optional[str]:
    """How the run of ``checkpoint`` already reached the end the ``trainer`` config sets (``max_epochs`` or
    ``max_steps``), e.g. ``finished its 20 epochs (trainer.max_epochs=20)``; None if it has more to train."""
    progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {}).get("current", {})
    # "processed": epochs whose training ended (a save at the last epoch's end comes before "completed" counts it)
    epochs, steps = progress.get("processed"), checkpoint.get("global_step", 0)
    max_epochs, max_steps = trainer.get("max_epochs"), trainer.get("max_steps") or -1
    if max_steps > 0 and steps >= max_steps:
        return f"made its {steps} optimizer steps (trainer.max_steps={max_steps})"
    if max_epochs not in (None, -1) and epochs is not None and epochs >= max_epochs and max_steps <= 0:
        return f"finished its {epochs} epochs (trainer.max_epochs={max_epochs})"
    return None


def read_checkpoint(path: str) -> dict[str, Any]:
    """The checkpoint at ``path``, loaded with ``weights_only=True``; a missing, truncated or foreign file is a
    ConfigError."""
    if not Path(path).is_file():
        raise ConfigError(f"ckpt_path: no file {path}")
    with open(path, "rb") as file:
        start = file.read(512)
    if _is_text(start):
        raise ConfigError(f"ckpt_path: {path} is a text file (a config?), not a checkpoint; give a last.ckpt that "
                          f"fit wrote (runs/<name>/version_N/checkpoints/last.ckpt)")
    _check_integrity(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # zip reader, unpickler and EOF errors all mean the same thing here
        if "Weights only load failed" in str(err):  # torch's text would advise weights_only=False: never here
            raise ConfigError(f"ckpt_path: {path} holds Python objects that no checkpoint of gan_manual holds, and "
                              f"loading them could run code; it is refused: give a last.ckpt that fit wrote") from err
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"ckpt_path: {path} is not a readable checkpoint, truncated or corrupted ({reason})") from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ConfigError(f"ckpt_path: {path} is not a Lightning checkpoint (it has no state_dict)")
    return checkpoint


def _is_text(start: bytes) -> bool:
    """Whether a file beginning with ``start`` is text (UTF-8 with no NUL): no checkpoint is."""
    try:
        start.decode()
    except UnicodeDecodeError as err:
        if err.start < len(start) - 3:  # not just a character cut at the end of the sample
            return False
    return bool(start) and b"\x00" not in start


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
    """``{"a": {"b": 1}}`` -> ``{"<prefix>.a.b": 1}``; a list of mappings (the callbacks) by place,
    ``<prefix>.callbacks.0.class_path``; other lists whole."""
    flat: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}"))
        return flat
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, dict) for item in value):
        for i, item in enumerate(value):
            flat.update(_flatten(item, f"{prefix}.{i}"))
        return flat
    return {prefix: list(value) if isinstance(value, tuple) else value}


_UNSET = object()


def _show(value: Any) -> str:
    return "<unset>" if value is _UNSET else repr(value)


def report_differences(checkpoint: dict[str, Any], config: dict[str, Any], path: str, subcommand: str) -> None:
    """Prints each key whose value in ``config`` (the parsed config of ``subcommand``, as a dict) differs from the
    config of the checkpoint's run, with the value that is used and, for ``fit``, whether it may change the run's
    bits. Compared with the run's saved ``config.yaml`` where ``fit`` finds one beside the checkpoint (every key),
    else with what the checkpoint recorded (``model`` and ``data``)."""
    saved = saved_config(Path(path).parent.parent) if subcommand == "fit" else None
    if saved is not None:
        found = differences(saved, config)
    else:
        found = []
        for key, hparams in (("model", "hyper_parameters"), ("data", "datamodule_hyper_parameters")):
            if checkpoint.get(hparams):  # compared only where the checkpoint recorded them
                recorded = checkpoint[hparams] if key == "model" else upgrade.datamodule_hparams(checkpoint[hparams])
                found += differences({key: _as_config(recorded)}, {key: config.get(key) or {}})
    if not found:
        return
    fitting = subcommand == "fit"
    changing = bit_changes(found) if fitting else []
    bits = f"; {len(changing)} may change the run's bits" if changing else ""
    note(f"{'resume' if fitting else subcommand}: the config differs from the one saved in {path} ({len(found)} "
         f"key{'s' * (len(found) != 1)}{bits}):")
    for item in found:
        key, old, new = item
        winner = (f"the checkpoint's {_show(old)} stays (restored with the optimizer/scheduler state)"
                  if fitting and stays(key) else f"{_show(new)} is used")
        flag = " (may change the run's bits)" if item in changing else ""
        note(f"  {key}: {_show(old)} in the checkpoint, {_show(new)} now -> {winner}{flag}")
