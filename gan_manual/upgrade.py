"""Configs and checkpoints written by earlier versions, read as today's: a key that moved is moved before
anything parses it, so a saved ``config.yaml`` or checkpoint keeps giving the same run. Moved: predict's sample
count and labels from ``data`` to ``prediction``; ``ResumeCheckpoint`` from ``trainer.callbacks`` to the
``checkpoint`` section."""

import copy
from typing import Any

#: Keys that moved: (section, old key under its ``init_args``) -> (new section, new key).
MOVED = {
    ("data", "num_predict"): ("prediction", "num_samples"),
    ("data", "predict_labels"): ("prediction", "labels"),
}


#: The callback that became the ``checkpoint`` section, as configs of earlier versions list it.
CHECKPOINT_CLASSES = ("gan_manual.callbacks.ResumeCheckpoint", "gan_manual.callbacks.checkpoint.ResumeCheckpoint",
                      "ResumeCheckpoint")


def config(loaded: Any) -> Any:
    """A run's config as loaded from YAML (or a part of one) with each moved key at its new place (a copy where
    something moved; anything else as it was)."""
    if not isinstance(loaded, dict):
        return loaded
    callbacks = (loaded.get("trainer") or {}).get("callbacks") if isinstance(loaded.get("trainer"), dict) else None
    listed = [entry for entry in callbacks if is_checkpoint(entry)] if isinstance(callbacks, list) else []
    if not listed and not any(isinstance(loaded.get(section), dict) for section, _ in MOVED):
        return loaded
    loaded = copy.deepcopy(loaded)
    if listed:  # ResumeCheckpoint in the callback list -> the checkpoint section, which every run has now
        loaded["trainer"]["callbacks"] = [entry for entry in callbacks if not is_checkpoint(entry)]
        section = loaded.setdefault("checkpoint", {})
        for entry in listed:
            for key, value in (entry.get("init_args") or {}).items():
                section.setdefault(key, value)
    for (section, old), (new_section, new) in MOVED.items():
        part = loaded.get(section)
        if not isinstance(part, dict):
            continue
        for holder in (part, part.get("init_args")):  # --data.num_predict or --data.init_args.num_predict
            if isinstance(holder, dict) and old in holder:
                value = holder.pop(old)
                target = loaded.setdefault(new_section, {})
                if isinstance(target, dict):
                    target.setdefault(new, value)
    return loaded


def is_checkpoint(entry: Any) -> bool:
    """Whether a callback list's ``entry`` (a mapping, or a class path) is ResumeCheckpoint."""
    path = entry.get("class_path") if isinstance(entry, dict) else entry
    return isinstance(path, str) and path in CHECKPOINT_CLASSES


def option(arg: str) -> str:
    """A command-line option of an earlier version (``--data.num_predict=5``) as today's
    (``--prediction.num_samples=5``); any other argument as it is."""
    for (section, old), (new_section, new) in MOVED.items():
        for spelled in (f"--{section}.{old}", f"--{section}.init_args.{old}"):
            if arg == spelled or arg.startswith(f"{spelled}="):
                return f"--{new_section}.{new}{arg[len(spelled):]}"
    return arg


def datamodule_hparams(hparams: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's ``datamodule_hyper_parameters`` without the keys that left the datamodules."""
    gone = {old for section, old in MOVED if section == "data"}
    return {key: value for key, value in hparams.items() if key not in gone}


def state_dict(weights: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A system's ``state_dict`` (its keys under ``prefix``) with the label prior's buffer under its current
    name, for checkpoints written before :class:`~gan_manual.labels.LabelPrior` (``label_probs``); changed in
    place and returned."""
    old = f"{prefix}label_probs"
    if old in weights:
        weights[f"{prefix}label_prior.probs"] = weights.pop(old)
    return weights
