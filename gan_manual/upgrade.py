"""Configs and checkpoints written by earlier versions, read as today's: a key that moved is moved before
anything parses it, so a saved ``config.yaml`` or checkpoint keeps giving the same run."""

import copy
from typing import Any

#: Keys that moved: (section, old key under its ``init_args``) -> (new section, new key).
MOVED = {
    ("data", "num_predict"): ("prediction", "num_samples"),
    ("data", "predict_labels"): ("prediction", "labels"),
}


def config(loaded: Any) -> Any:
    """A run's config as loaded from YAML (or a part of one) with each moved key at its new place (a copy where
    something moved; anything else as it was)."""
    if not isinstance(loaded, dict) or not any(isinstance(loaded.get(section), dict) for section, _ in MOVED):
        return loaded
    loaded = copy.deepcopy(loaded)
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
