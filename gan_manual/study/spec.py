"""A study file, read and checked, and the cells it makes: every variant x every grid point x every seed.

A study file (YAML; keys other than these are refused)::

    configs: [configs/toy_ring.yaml]        # the -c files of every cell, in order (required)
    overrides: {trainer.max_epochs: 4}      # dotted keys, the same for every cell
    variants:                               # named sets of dotted overrides (one axis, named "variant"); a
      plain: {}                             # variant's "configs" are -c files it adds after the study's
      pac2: {model.init_args.discriminator.init_args.pack: 2}
      code: {configs: [experiments/toy_ring_code.yaml]}
    grid:                                   # dotted key -> values; every combination, crossed with the variants
      model.init_args.loss: [gan_manual.losses.NonSaturatingLoss, gan_manual.losses.HingeLoss]
    seeds: 3                                # N (seeds 0..N-1) or a list
    metrics: {modes: max, reverse_kl: min}  # what to report, and which way is better
    best: [reverse_kl]                      # also report these as the best value logged during training
    curves: [train/augment_p_epoch]         # more values logged over training, drawn in curves.png, not ranked
    progress: epoch                         # x axis of the curves: epoch or seconds
    processes: 2                            # cells at once (local executor)
    threads: 1                              # torch threads per cell (default: the cores shared by the processes)
    samples: 100                            # samples kept per cell for the picture (2-D data: points)
    output_dir: runs/studies/NAME           # default runs/studies/<file name>

An override's value is what a config file would hold at that key (a number, a list, a ``class_path`` mapping).
A cell's overrides (``overrides``, its variant's, its grid point's; for the same key the later wins) become one
config, a key inside a section applied after a value for the whole section, and given after the configs: a cell's
run is ``fit -c CONFIGS... -c VARIANT_CONFIGS... -c OVERRIDES --seed_everything=SEED``.
"""

import copy
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from gan_manual import yamlfile
from gan_manual.errors import ConfigError

KEYS = ("configs", "overrides", "variants", "grid", "seeds", "metrics", "best", "curves", "progress", "processes",
        "threads", "samples", "output_dir")
GOALS = ("max", "min")
PROGRESS = ("epoch", "seconds")


@dataclass(frozen=True)
class Cell:
    """One run of a study: a variant, a grid point and a seed, with its folder and its overrides."""

    name: str                       # "<variant>/<grid point>/seed_<S>": the cell's folder under cells/
    variant: dict[str, Any]         # the varied keys' values, by column name ("variant", then grid columns)
    seed: int
    configs: tuple[str, ...]
    overrides: dict[str, Any]       # nested, as a config file holds them
    folder: Path
    workdir: Path                   # where the study was started: what relative paths in configs are relative to

    @property
    def group(self) -> str:
        """The cell's variant and grid point, without the seed: what the summary averages over seeds."""
        return self.name.rsplit("/", 1)[0]


@dataclass(frozen=True)
class Study:
    """A checked study file."""

    path: Path
    configs: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    metrics: dict[str, str] = field(default_factory=dict)
    best: tuple[str, ...] = ()
    curves: tuple[str, ...] = ()
    progress: str = "epoch"
    processes: int = 1
    threads: Optional[int] = None
    samples: int = 100
    output_dir: Path = Path("runs/studies")

    def logged(self) -> tuple[str, ...]:
        """What a cell keeps of its logs: the metrics, then the other curves."""
        return tuple(dict.fromkeys([*self.metrics, *self.curves]))

    def columns(self) -> list[str]:
        """The names of the varied axes: ``variant`` (if there are variants), then one per grid key."""
        return (["variant"] if self.variants else []) + [_column(key, self.grid) for key in self.grid]

    def cells(self) -> list[Cell]:
        """Every variant x grid point x seed, in that order (seeds innermost)."""
        variants = self.variants or {"": {}}
        points = list(itertools.product(*self.grid.values())) if self.grid else [()]
        cells = []
        for (variant, changes), point in itertools.product(variants.items(), points):
            values = ({"variant": variant} if self.variants else {})
            values |= {_column(key, self.grid): value for key, value in zip(self.grid, point)}
            changes = dict(changes)
            configs = self.configs + tuple(changes.pop("configs", ()))
            overrides = _nested({**self.overrides, **changes, **dict(zip(self.grid, point))})
            group = "/".join(_label(v) if k == "variant" else f"{k}={_label(v)}" for k, v in values.items()) or "base"
            for seed in self.seeds:
                name = f"{group}/seed_{seed}"
                cells.append(Cell(name, values, seed, configs, overrides, self.output_dir / "cells" / name,
                                  Path.cwd()))
        names = [cell.name for cell in cells]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice:
            raise ConfigError(f"study.variants: two cells would share the folder {twice}; rename a variant")
        return cells

    def run_order(self, cells: list[Cell]) -> list[Cell]:
        """``cells`` in the order they run: seed by seed (every variant's first seed, then every variant's second),
        so that a study cut short holds a figure for every variant rather than all seeds of the first ones."""
        return sorted(cells, key=lambda cell: self.seeds.index(cell.seed))  # stable: variants keep their order


def load(path: str, output_dir: Optional[str] = None) -> Study:
    """Reads and checks the study file at ``path``; every mistake is a ConfigError naming the key."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"study: no file {path}")
    raw = yamlfile.read(file, f"study: {path}") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"study: {path} holds a {type(raw).__name__}, not a mapping of {', '.join(KEYS)}")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(f"study.{unknown[0]}: not a study key; allowed: {', '.join(KEYS)}")
    configs = _files("configs", raw.get("configs"))
    metrics = _mapping("metrics", raw.get("metrics") or {})
    for name, goal in metrics.items():
        if goal not in GOALS:
            raise ConfigError(f"study.metrics.{name}: {goal!r}; allowed: {' or '.join(GOALS)} (which way is better)")
    best = _strings("best", raw.get("best"))
    for name in best:
        if name not in metrics:
            raise ConfigError(f"study.best: {name} is not in study.metrics (which says which way is better)")
    curves = _strings("curves", raw.get("curves"))
    progress = raw.get("progress", "epoch")
    if progress not in PROGRESS:
        raise ConfigError(f"study.progress: {progress!r}; allowed: {', '.join(PROGRESS)}")
    variants = {str(name): _overrides(f"variants.{name}", changes)
                for name, changes in _mapping("variants", raw.get("variants") or {}).items()}
    for name, changes in variants.items():
        if "configs" in changes:
            changes["configs"] = _files(f"variants.{name}.configs", changes["configs"])
        if not configs and not changes.get("configs"):
            raise ConfigError(f"study.variants.{name}: no configs; give study.configs (the files every cell starts "
                              f"from, as given to fit -c) or the variant's own configs")
    if not configs and not variants:
        raise ConfigError("study.configs: required, the config files every cell starts from (as given to fit -c)")
    grid = _mapping("grid", raw.get("grid") or {})
    for key, values in grid.items():
        _check_key(f"grid.{key}", key)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"study.grid.{key}: a non-empty list of values, not {values!r}")
    return Study(
        path=file,
        configs=tuple(configs),
        overrides=_overrides("overrides", raw.get("overrides") or {}),
        variants=variants,
        grid=grid,
        seeds=_seeds(raw.get("seeds", 1)),
        metrics=metrics,
        best=tuple(best),
        curves=tuple(curves),
        progress=progress,
        processes=_positive("processes", raw.get("processes", 1)),
        threads=_positive("threads", raw["threads"]) if raw.get("threads") is not None else None,
        samples=_positive("samples", raw.get("samples", 100)),
        output_dir=Path(output_dir or raw.get("output_dir") or Path("runs/studies") / file.stem).absolute(),
    )


def _column(key: str, grid: dict[str, Any]) -> str:
    """A grid key's column name: its last part, unless another grid key ends the same way."""
    last = key.rsplit(".", 1)[-1]
    return last if sum(k.rsplit(".", 1)[-1] == last for k in grid) == 1 else key


def _label(value: Any) -> str:
    """A value as a folder-name part: ``2``, ``HingeLoss``, ``1e-4``; a mapping by its class_path's class."""
    if isinstance(value, dict) and "class_path" in value:
        value = value["class_path"]
    if isinstance(value, str) and "." in value and not re.fullmatch(r"[\d.e+-]+", value):
        value = value.rsplit(".", 1)[-1]  # gan_manual.losses.HingeLoss -> HingeLoss
    text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
    return re.sub(r"[^\w.=+,-]+", "_", text).strip("_") or "_"


def _nested(dotted: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "a.c": 2}`` -> ``{"a": {"b": 1, "c": 2}}``; shorter keys first, so ``{"a.b": 1, "a": {...}}``
    sets ``a`` and then ``a.b`` inside it."""
    nested: dict[str, Any] = {}
    for key, value in sorted(dotted.items(), key=lambda item: item[0].count(".")):  # stable: same depth in order
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = copy.deepcopy(value)  # a later dotted key may reach into it
    return nested


def _check_key(where: str, key: Any) -> None:
    if not isinstance(key, str) or not re.fullmatch(r"\w+(\.\w+)*", key):
        raise ConfigError(f"study.{where}: {key!r} is not a dotted config key (like model.init_args.loss)")


def _overrides(where: str, changes: Any) -> dict[str, Any]:
    changes = dict(_mapping(where, changes))
    for key in changes:
        _check_key(f"{where}.{key}", key)
    return changes


def _files(where: str, value: Any) -> list[str]:
    files = _strings(where, value)
    for name in files:
        if not Path(name).is_file():
            raise ConfigError(f"study.{where}: no file {name}")
    return files


def _mapping(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"study.{where}: a mapping, not {value!r}")
    return value


def _strings(where: str, value: Any) -> list[str]:
    value = [value] if isinstance(value, str) else (value or [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"study.{where}: a list of names, not {value!r}")
    return value


def _positive(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"study.{where}: a positive integer, not {value!r}")
    return value


def _seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return tuple(range(value))
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        if len(set(value)) < len(value):
            raise ConfigError(f"study.seeds: {value} repeats a seed")
        return tuple(value)
    raise ConfigError(f"study.seeds: a positive count or a list of integers, not {value!r}")
