"""``python -m gan_manual study STUDY.yaml``: a grid of variants over seeds, each cell an ordinary ``fit`` run in a
folder of its own, then the tables and plots that compare them.

    python -m gan_manual study STUDY.yaml [--processes N] [--threads T] [--output_dir DIR] [--dry_run | --report]
        [--executor local|ray] [--address ADDR] [--gpus G]

The study file (keys in :mod:`gan_manual.study.spec`) names the base configs, the variants and grid, the seeds,
the metrics and the parallelism. Every cell's config is built and checked before any cell starts; then the cells
run seed by seed (``--processes`` at once here, or as Ray tasks), a progress line as each finishes. Rerunning a
study skips finished cells, resumes unfinished ones from their ``last.ckpt``, and retries failed ones. It writes,
in its folder:

    results.csv              a row per cell: variant, seed, status, figures, seconds, error
    summary.md               a row per variant: mean ± std over seeds [min, max], the command that made it
    curves.png               each metric over training per variant (seeds as a band)
    finals.png               each final figure per variant (seeds as points)
    samples.png              each variant's samples
    cells/<variant>/seed_S/  the runs (module :mod:`gan_manual.study.cell`); tensorboard --logdir on cells/ shows
                             every run's curves and, in its HParams tab, the varied keys with the final figures

    study/spec.py       the study file and its cells
    study/cell.py       one cell: fit, evaluate, samples, HParams, result.json
    study/executors.py  local processes or Ray tasks
    study/report.py     results.csv, summary.md and the curves from the logs
    study/plots.py      the PNGs
"""

import argparse
import contextlib
import importlib.util
import io
import logging
import os
import shlex
import sys
import time
import warnings
from dataclasses import replace
from typing import Any, NoReturn, Optional

from gan_manual import files, machine
from gan_manual.callbacks.evaluate import Evaluate
from gan_manual.cli import GANCLI, checks
from gan_manual.cli.messages import user_error
from gan_manual.console import check_writable, fail, note
from gan_manual.errors import ConfigError, StorageError
from gan_manual.lock import Lock
from gan_manual.study import executors, spec
from gan_manual.study.cell import arguments, last_error
from gan_manual.study.record import Record
from gan_manual.study.report import write_report
from gan_manual.study.spec import Cell, Study

PROGRAM = "python -m gan_manual study"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(f"{message} ({PROGRAM} --help)")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROGRAM, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("study", help="the study file (YAML)")
    p.add_argument("--processes", type=int, help="cells at once with the local executor (else the file's, or 1)")
    p.add_argument("--threads", type=int, help="torch threads per cell (else the file's, or cores / processes)")
    p.add_argument("--output_dir", help="the study's folder (else the file's output_dir, or runs/studies/<name>)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: processes of this machine; ray: a task per cell on a Ray cluster")
    p.add_argument("--address", help="ray: the cluster to join (auto, ray://host:10001); none starts a local one")
    p.add_argument("--gpus", type=float, default=0.0, help="ray: GPUs each cell asks for")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--dry_run", action="store_true", help="build and check every cell's config, list the cells, "
                      "run nothing")
    only.add_argument("--report", action="store_true", help="write results.csv, summary.md and the plots from the "
                      "cells as they are now (of a study running or stopped half-way), run nothing")
    return p


def main(argv: list[str]) -> Study:
    """Runs the study; returns it (a failed cell makes the exit code 1, once the report is written; a file that
    cannot be written, one line and exit code 1)."""
    try:
        return _run(argv)
    except StorageError as error:
        fail(str(error), code=1)


def _run(argv: list[str]) -> Study:
    args = parser().parse_args(argv)
    try:
        study = _configure(spec.load(args.study, args.output_dir), args)
        cells = study.cells()
        if not args.report:  # a report reads the cells' results; it builds no run
            check_metrics(study, validate(cells))
        check_writable("study.output_dir", study.output_dir)
    except ConfigError as error:
        fail(str(error))
    running = Lock(study.output_dir)  # held while this study runs cells; a killed study's goes with its process
    if not (args.report or args.dry_run):
        study.output_dir.mkdir(parents=True, exist_ok=True)
        if not running.take():
            fail(f"study.output_dir: {study.output_dir} is in use by another study that is running now; wait for "
                 f"it to end, or give this one another --output_dir")
    try:
        return _study(study, cells, args, argv)
    finally:
        running.release()


def _study(study: Study, cells: list[Cell], args: argparse.Namespace, argv: list[str]) -> Study:
    records = {cell.name: Record.read(cell) for cell in cells}
    finished = {name for name, record in records.items() if record is not None and record.done}
    if args.report:
        study.output_dir.mkdir(parents=True, exist_ok=True)
        write_report(study, cells, _command([arg for arg in argv if arg != "--report"]))
        note(f"study: {len(finished)} of {len(cells)} cells finished; results in {study.output_dir / 'summary.md'}; "
             f"nothing run (--report)")
        return study
    if args.dry_run:
        sys.stdout.write("".join(f"{cell.name}{' (finished)' if cell.name in finished else ''}\n"
                                 for cell in study.run_order(cells)))
        note(f"study: {len(cells)} cells checked, {len(finished)} finished; nothing run (--dry_run)")
        return study
    files.write(study.output_dir / "study.yaml", study.path.read_bytes())
    todo = [cell for cell in study.run_order(cells) if cell.name not in finished]
    where = f"{study.processes} at once" if args.executor == "local" else "as Ray tasks"
    note(f"study: {len(cells)} cells, {len(cells) - len(todo)} finished before; {where}, {study.threads} threads each; "
         f"cells in {study.output_dir / 'cells'}")
    _note_other_machines([records[name] for name in finished], study.threads)
    progress = _Progress(len(cells), len(cells) - len(todo))
    if args.executor == "ray":
        executors.run_ray(todo, study.threads, study.samples, study.logged(), progress, args.address,
                          args.gpus)
    elif todo:
        executors.run_local(todo, study.processes, study.threads, study.samples, study.logged(), progress)
    failed = write_report(study, cells, _command(argv))
    note(f"study: results in {study.output_dir / 'summary.md'}" + (f"; {failed} cells failed" if failed else ""))
    if failed:
        sys.exit(1)
    return study


def _configure(study: Study, args: argparse.Namespace) -> Study:
    processes = args.processes or study.processes
    threads = args.threads or study.threads or max(1, (os.cpu_count() or 1) // processes)
    if processes < 1 or threads < 1:
        raise ConfigError(f"--processes/--threads: positive integers, not {processes}/{threads}")
    if args.executor == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError('--executor ray: Ray is not installed; pip install -e ".[ray]"')
    cores = os.cpu_count() or 1
    if args.executor == "local" and processes * threads > cores:
        raise ConfigError(f"study.threads: {processes} processes x {threads} threads is more than this machine's "
                          f"{cores} cores (they would slow each other down); lower processes or threads")
    return replace(study, processes=processes, threads=threads)


def _note_other_machines(finished: list[Record], threads: int) -> None:
    """Says so where the ``finished`` cells' records name another machine than this one (or other threads): a
    study with a time budget would compare cells that trained at different speeds."""
    here = machine.summary(machine.describe(threads))
    others = sorted({name for record in finished for name in record.machine_names()} - {here})
    if others:
        note(f"study: finished cells ran on {'; '.join(others)}; this is {here}: their seconds, and the figures of a "
             f"time-bounded run, do not compare with this machine's")


def validate(cells: list[Cell]) -> dict[str, Optional[set[str]]]:
    """Builds every variant's config (cells differ from the first seed's only by the seed) as its run would, and
    checks it as ``fit`` does before writing anything; the first problem is a ConfigError naming the cell.

    Returns, for each variant, the names of the figures its Evaluate callbacks log (None where a metric does not
    declare them)."""
    logged: dict[str, Optional[set[str]]] = {}
    for cell in cells:
        if cell.group in logged:
            continue
        captured = io.StringIO()
        try:
            with _quiet(captured):
                cli = GANCLI(args=arguments(cell), run=False)
                checks.check_model(cli.model, cli.datamodule, fitting=True)
                checks.check_callbacks(cli.trainer, cli.datamodule, cli.model)
                logged[cell.group] = _figure_names(cli.trainer, cli.model.num_classes > 0)
        except SystemExit:
            raise ConfigError(f"study cell {cell.group}: {last_error(captured.getvalue()) or 'refused'}")
        except Exception as error:
            problem = user_error(error)
            if problem is None:
                raise
            raise ConfigError(f"study cell {cell.group}: {problem}") from error
    return logged


def _figure_names(trainer: Any, conditional: bool) -> Optional[set[str]]:
    names: set[str] = set()
    for callback in trainer.callbacks:
        if isinstance(callback, Evaluate):
            declared = callback.metric.names(conditional)
            if declared is None:
                return None
            names.update(declared)
    return names


#: What the system and Lightning log under names of their own (training and validation losses, learning rates).
SYSTEM_LOGS = ("train/", "val/", "lr-")


def check_metrics(study: Study, logged: dict[str, Optional[set[str]]]) -> None:
    """Each of ``study.metrics`` and ``study.curves`` is logged by some cell: a figure of a cell's Evaluate metric
    (``logged``, by variant, from :func:`validate`), or the system's ``train/...``, ``val/...``, ``lr-...``; else a
    ConfigError before any cell starts, naming what the cells log."""
    if any(names is None for names in logged.values()):
        return  # a metric of one's own that does not declare its figures: trust the study file
    known = set().union(*logged.values())
    for name in study.logged():
        if name not in known and not name.startswith(SYSTEM_LOGS) and name != "epoch":
            offered = ", ".join(sorted(known)) or "no figures (no Evaluate callback)"
            where = f"metrics.{name}: no cell logs it" if name in study.metrics else f"curves: no cell logs {name}"
            raise ConfigError(f"study.{where}; the cells' metrics log {offered}, and the "
                              f"system train/<loss>, val/<loss> and lr-g, lr-d")


@contextlib.contextmanager
def _quiet(stderr: io.StringIO) -> Any:
    """Building a config prints Lightning's notes and warnings; a study builds one per variant."""
    logging.disable(logging.INFO)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


class _Progress:
    """Reports each finished cell on one line: done/total, failed, elapsed, estimated time left."""

    def __init__(self, total: int, done: int) -> None:
        self.total, self.done, self.before, self.failed = total, done, done, 0
        self.start = time.perf_counter()

    def __call__(self, cell: Cell, record: Record) -> None:
        self.done += 1
        self.failed += not record.done
        elapsed = time.perf_counter() - self.start
        left = elapsed / (self.done - self.before) * (self.total - self.done)
        what = "done" if record.done else f"failed: {record.error}"
        note(f"study: {self.done}/{self.total} done, {self.failed} failed, {_clock(elapsed)} elapsed, ETA "
             f"{_clock(left)} | {cell.name}: {what} ({record.seconds:.0f} s)")


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"


def _command(argv: list[str]) -> str:
    return " ".join([PROGRAM, *map(shlex.quote, argv)])


__all__ = ["check_metrics", "main", "validate", "write_report"]
