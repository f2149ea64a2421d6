"""One cell of a study, run wherever the executor puts it (a process of the local pool, a Ray worker): an ordinary
``fit`` in the cell's folder, resumed from the cell's ``last.ckpt`` if a killed study left one, then the final
figures of the metric the config names, a few samples for the study's picture, and the cell's TensorBoard HParams
record. ``result.json`` is written last: a cell without one is unfinished.

A cell's folder::

    run/version_N/           the run's logs, config.yaml and checkpoints (a resumed cell adds a version)
    output.log               what the run printed
    samples.pt, labels.pt    the final generator's samples (S, *data_shape) and, if conditional, their labels (S,)
    samples.png              their picture: the first 100 images on a grid, or the points over the real ones
    hparams/                 TensorBoard HParams: the varied keys and the final figures
    machines.json            the machines the run has trained on (:func:`gan_manual.machine.describe`), each
                             once, the latest attempt's last
    result.json              status ("done" or "failed"), error, final figures, seconds, the study's metrics as
                             logged over training (:func:`gan_manual.study.report.read_logs`), the machine of
                             this attempt and every machine the run trained on (seconds, and what a time budget
                             buys, mean something on one machine only)

``result.json`` and ``samples.png`` are the cell's record: all that the study's report reads of a finished cell,
and small enough to commit with it, so that the report can be rewritten and the study continued from a checkout
without the runs.
"""

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import torch
import yaml
from torch.utils.tensorboard import SummaryWriter

from gan_manual import generation, machine
from gan_manual.callbacks import Evaluate
from gan_manual.cli import main
from gan_manual.hparams import write_hparams
from gan_manual.pictures import picture
from gan_manual.study.record import Record, write_json
from gan_manual.study.report import read_logs
from gan_manual.study.spec import Cell

MACHINES = "machines.json"
LOGGER = "lightning.pytorch.loggers.TensorBoardLogger"


def arguments(cell: Cell) -> list[str]:
    """The ``fit`` arguments of ``cell`` (without the subcommand): its configs, its overrides as one more config,
    its seed, and a TensorBoard logger writing to ``cell/run``."""
    args = [part for config in cell.configs for part in ("-c", config)]
    if cell.overrides:  # jsonargparse takes a config's text where it takes a config file
        args += ["-c", yaml.safe_dump(cell.overrides, default_flow_style=True, width=10**6).strip()]
    logger = {"class_path": LOGGER, "init_args": {"save_dir": str(cell.folder), "name": "run"}}
    return args + [f"--seed_everything={cell.seed}", f"--trainer.logger={json.dumps(logger)}"]


def run(cell: Cell, threads: int, num_samples: int, metrics: tuple[str, ...]) -> Record:
    """Trains ``cell`` with ``threads`` torch threads (resuming from its last.ckpt if there is one) and returns
    what it writes to ``result.json``, which keeps the ``metrics`` logged over training. Everything the run prints
    goes to ``output.log``."""
    torch.set_num_threads(threads)
    sys.argv = sys.argv[:1]  # a Ray worker's own arguments are not the run's (LightningCLI would warn)
    os.chdir(cell.workdir)  # a Ray worker starts elsewhere; the configs' relative paths mean the study's folder
    cell.folder.mkdir(parents=True, exist_ok=True)
    resumed = any((cell.folder / "run").rglob("last.ckpt"))
    machines = _attempted_on(cell, resumed, machine.describe(threads))
    start = time.perf_counter()
    record = Record.of(cell, status="failed", resumed=resumed, machine=machines[-1], machines=machines)
    with _output_to(cell.folder / "output.log") as log:
        try:
            cli = main(["fit", *arguments(cell), "--ckpt_path=last"])
            record.figures, record.picture = _finish(cli, cell, num_samples)
            record.logged = read_logs(cell.folder, list(metrics))
            record.status = "done"
        except SystemExit as exit:  # the CLI said why in one line, "error: ..."
            log.flush()
            record.error = last_error((cell.folder / "output.log").read_text(errors="replace")) or (
                f"exit code {exit.code}")
        except Exception as error:  # a bug: its traceback goes to output.log, its last line to the results
            traceback.print_exc()
            record.error = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error) else ''}"
    record.seconds = round(time.perf_counter() - start, 1)
    record.write(cell.folder)
    return record


def _attempted_on(cell: Cell, resumed: bool, here: dict[str, Any]) -> list[dict[str, Any]]:
    """The machines a cell's run has trained on, each once, ``here`` last; recorded before training, so that a
    cell killed here and resumed elsewhere names both (a run started afresh names only ``here``)."""
    path = cell.folder / MACHINES
    earlier = json.loads(path.read_text()) if resumed and path.is_file() else []
    machines = [m for m in earlier if m != here] + [here]
    write_json(path, machines)
    return machines


def _finish(cli: Any, cell: Cell, num_samples: int) -> tuple[dict[str, float], str]:
    """The final figures of the config's Evaluate metric (none without one), samples and their picture (what it
    shows: ``points`` or ``images``), and the HParams record."""
    model, figures = cli.model, {}
    evaluate = next((cb for cb in cli.trainer.callbacks if isinstance(cb, Evaluate)), None)
    if evaluate is not None:
        figures = {name: float(value) for name, value in evaluate.evaluate(model).items()}
    labels = model.label_prior.draw(num_samples, seed=0)
    samples = model.generate(num_samples, seed=0, labels=labels)
    # 2-D points are drawn over real ones; images speak for themselves.
    real = cli.datamodule.reference_samples("train", num_samples) if samples.dim() == 2 else None
    generation.write(cell.folder, samples, labels, picture(samples, real), "samples.png")
    _write_hparams(cell, figures)
    return figures, "points" if real is not None else "images"


def _write_hparams(cell: Cell, figures: dict[str, float]) -> None:
    """The varied keys and the final figures as TensorBoard's HParams record in ``cell/hparams``: TensorBoard's
    HParams tab, opened on the study's ``cells`` folder, lists every cell."""
    folder = cell.folder / "hparams"
    for old in folder.glob("events.*"):  # a cell killed after writing them: one record only
        old.unlink()
    with SummaryWriter(log_dir=str(folder)) as writer:
        write_hparams(writer.file_writer, {**cell.variant, "seed": cell.seed},
                      {f"final/{k}": v for k, v in figures.items()})
        for name, value in figures.items():
            writer.add_scalar(f"final/{name}", value)


def last_error(output: str) -> str:
    """The CLI's last ``error: ...`` line in ``output`` (without the prefix), or "". A progress bar may have left
    its line open (no newline), so not only at line starts."""
    found = re.findall(r"error: ([^\r\n]*)", output)
    return found[-1] if found else ""


class _output_to:
    """Sends file descriptors 1 and 2 (and sys.stdout/stderr) to ``path`` for the duration, so the run's output,
    Lightning's log lines and the progress bar land in the cell's log and not on the study's terminal."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Any:
        sys.stdout.flush()
        sys.stderr.flush()
        self.file = open(self.path, "a", buffering=1)
        self.saved = os.dup(1), os.dup(2)
        os.dup2(self.file.fileno(), 1)
        os.dup2(self.file.fileno(), 2)
        return self.file

    def __exit__(self, *exc: Any) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        for fd in self.saved:
            os.close(fd)
        self.file.close()
