"""A study cell's record, ``result.json``: what its run came to, written last by the cell (a cell without one is
unfinished) and all that the study's report reads of it, besides its picture.

The file is a flat JSON object: ``cell``, the variant's keys with their values, ``seed``, then the fields of
:class:`Record` after those three. Records written before a field existed read with its default.
"""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Optional

from gan_manual import files, machine
from gan_manual.study.spec import Cell

RESULT = "result.json"

Status = Literal["done", "failed", "unfinished"]


@dataclass
class Record:
    """One cell's outcome.

    Attributes:
        cell: The cell's name, ``<variant>/seed_<S>``.
        variant: The config keys the variant sets, with their values.
        seed: The run's seed.
        status: ``done``; ``failed`` (``error`` says why); ``unfinished`` (no record on disk yet).
        error: The run's last ``error:`` line, or the exception's, or how its process died.
        seconds: Wall time of the last attempt.
        resumed: Whether the last attempt resumed from the cell's ``last.ckpt``.
        figures: The final figures of the config's Evaluate metric.
        logged: The study's metrics as logged over training (:func:`gan_manual.study.report.read_logs`).
        machine: The machine of the last attempt (:func:`gan_manual.machine.describe`).
        machines: Every machine the run trained on, each once, the last attempt's last.
        picture: What the cell's ``samples.png`` shows: ``points`` (2D samples, red, over the real data's, grey) or
            ``images``; empty in records written before it was kept.
    """

    cell: str
    variant: dict[str, Any]
    seed: int
    status: Status = "unfinished"
    error: str = ""
    seconds: float = 0.0
    resumed: bool = False
    figures: dict[str, float] = field(default_factory=dict)
    logged: Optional[dict[str, Any]] = None
    machine: Optional[dict[str, Any]] = None
    machines: list[dict[str, Any]] = field(default_factory=list)
    picture: str = ""

    @classmethod
    def of(cls, cell: Cell, **outcome: Any) -> "Record":
        """The record of ``cell`` with the fields ``outcome`` gives (the others at their defaults)."""
        return cls(cell=cell.name, variant=dict(cell.variant), seed=cell.seed, **outcome)

    @classmethod
    def read(cls, cell: Cell) -> Optional["Record"]:
        """The record in ``cell``'s folder, or None if it has not finished."""
        path = cell.folder / RESULT
        if not path.is_file():
            return None
        saved = json.loads(path.read_text())
        own = {f.name for f in fields(cls)} - {"variant"}
        return cls(variant={k: v for k, v in saved.items() if k not in own},
                   **{k: v for k, v in saved.items() if k in own})

    def write(self, folder: Path) -> None:
        """``folder/result.json``, whole or absent even if the study is killed while it writes."""
        write_json(folder / RESULT, self.to_json())

    def to_json(self) -> dict[str, Any]:
        """The flat object of ``result.json``."""
        saved = asdict(self)
        variant = saved.pop("variant")
        return {"cell": saved.pop("cell"), **variant, "seed": saved.pop("seed"), **saved}

    @property
    def done(self) -> bool:
        return self.status == "done"

    def machine_names(self) -> list[str]:
        """One line (:func:`gan_manual.machine.summary`) per machine the run trained on: several where it was
        resumed on another; from a record with ``machine`` alone (written before ``machines``) that one; none from
        a record older still."""
        records = self.machines or ([self.machine] if self.machine else [])
        return list(dict.fromkeys(machine.summary(record) for record in records))


def write_json(path: Path, value: Any) -> None:
    """Whole or absent, even if the study is killed while it writes (:func:`gan_manual.files.write`)."""
    files.write(path, json.dumps(value, indent=1))
