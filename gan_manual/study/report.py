"""What a study writes from its cells' records: ``results.csv`` (a row per cell), ``summary.md`` (a row per
variant: mean ± std over seeds, the range, the best mean of each column in bold) and the plots
(:func:`write_report`), with the curves they draw from what each finished cell kept of its TensorBoard logs (or
from the logs themselves)."""

import csv
import io
import json
import math
import statistics
from functools import partial
from pathlib import Path
from typing import Any, Optional

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_manual import files
from gan_manual.study import plots
from gan_manual.study.plots import Curve
from gan_manual.study.record import Record
from gan_manual.study.spec import Cell, Study


def read_logs(folder: Path, names: list[str]) -> dict[str, Any]:
    """What the TensorBoard logs of the run in ``folder/run`` hold of the metrics ``names``, as a cell keeps it in
    its ``result.json`` (so that the report needs no logs)::

        {"points": {name: [[epochs completed, seconds of training, value], ...]}, "end": [epochs, seconds]}

    A resumed cell's versions are joined: a later version replaces the steps it repeats, and its seconds continue
    from the end of the previous one. ``end`` is the end of training (the last thing logged)."""
    by_step: dict[str, dict[int, list[float]]] = {name: {} for name in names}
    offset, epochs_done = 0.0, 0.0
    versions = sorted((folder / "run").glob("version_*"), key=lambda p: int(p.name.split("_")[-1]))
    for version in versions:
        events = EventAccumulator(str(version), size_guidance={"scalars": 0})
        events.Reload()
        tags = set(events.Tags().get("scalars", []))
        if not tags:
            continue
        start = events.FirstEventTimestamp()
        epochs = {e.step: e.value for e in events.Scalars("epoch")} if "epoch" in tags else {}
        for name in names:
            for event in events.Scalars(name) if name in tags else []:
                by_step[name][event.step] = [epochs.get(event.step, math.nan) + 1,
                                             offset + event.wall_time - start, event.value]
        offset += max(events.Scalars(tag)[-1].wall_time for tag in tags) - start
        epochs_done = max(epochs.values(), default=-1.0) + 1
    return {"points": {name: [steps[step] for step in sorted(steps)] for name, steps in by_step.items()},
            "end": [epochs_done, offset]}


def curves(logs: dict[str, Any], progress: str, final: Optional[dict[str, float]] = None) -> dict[str, Curve]:
    """Each metric of ``logs`` (:func:`read_logs`) over training, against epochs or seconds (``progress``).
    ``final``, the study's evaluation of the final generator, is each curve's last point, at the end of training."""
    at = 0 if progress == "epoch" else 1
    logged = {name: sorted((point[at], point[2]) for point in points) for name, points in logs["points"].items()}
    finished = logs["end"][at]
    for name, value in (final or {}).items():
        if name in logged and finished > 0 and (not logged[name] or logged[name][-1][0] < finished):
            logged[name].append((finished, value))
    return logged


def cell_figures(study: Study, record: Record, logged: dict[str, Curve]) -> dict[str, float]:
    """A cell's reported figures: each metric's final value (the study's evaluation of the final generator, else
    the last logged value) and, for ``study.best``, ``best_<name>``: the best value logged or final."""
    figures = {}
    for name in study.metrics:
        values = [value for _, value in logged.get(name, [])]
        final = record.figures.get(name, values[-1] if values else math.nan)
        figures[name] = final
        if name in study.best:
            pick = max if study.metrics[name] == "max" else min
            candidates = [v for v in [*values, final] if not math.isnan(v)]
            figures[f"best_{name}"] = pick(candidates) if candidates else math.nan
    return figures


def goal(study: Study, column: str) -> str:
    return study.metrics[column.removeprefix("best_")]


def csv_text(study: Study, rows: list[dict[str, Any]]) -> str:
    """``results.csv``: a row per cell."""
    columns = ["cell", *study.columns(), "seed", "status", *metric_columns(study), "seconds", "resumed", "error",
               "machine"]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k, "")) for k in columns})
    return text.getvalue()


def metric_columns(study: Study) -> list[str]:
    return [*study.metrics, *(f"best_{name}" for name in study.best)]


def summary_text(study: Study, rows: list[dict[str, Any]], command: str, pictures: list[str]) -> str:
    """``summary.md``: the command, a table with a row per variant, and the pictures."""
    columns = metric_columns(study)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    means = {g: {c: _mean([r[c] for r in members if r["status"] == "done"]) for c in columns}
             for g, members in groups.items()}
    best = {}
    for column in columns:
        values = [m[column] for m in means.values() if m[column] is not None]
        if len(set(values)) > 1:  # a tie everywhere marks nothing
            best[column] = max(values) if goal(study, column) == "max" else min(values)
    axes = study.columns()
    head = [*axes, "runs", *(f"{c} ({'higher' if goal(study, c) == 'max' else 'lower'} is better)" for c in columns),
            "minutes"]
    lines = [f"# Study `{study.path}`", "", f"Reproduce: `{command}`", "", *_changes(study),
             f"Mean ± standard deviation over the finished runs (column `runs`) of seeds "
             f"{', '.join(map(str, study.seeds))} [min, max]; the best mean of "
             f"each column in bold. Cells: `{_shown(study.output_dir / 'cells')}`; every row of `results.csv` is one "
             f"run.",
             "", *_machines(rows), "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for group, members in groups.items():
        done = [r for r in members if r["status"] == "done"]
        cells = [str(members[0].get(axis, "")) for axis in axes]
        cells.append(f"{len(done)}/{len(members)}")
        for column in columns:
            values = [r[column] for r in done if not _missing(r[column])]
            cells.append(_spread(values, bold=bool(values) and means[group][column] == best.get(column)))
        minutes = [r["seconds"] / 60 for r in done]
        cells.append(f"{statistics.fmean(minutes):.1f}" if minutes else "-")
        lines.append("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r["status"] != "done"]
    if failed:
        lines += ["", "Failed or unfinished cells:", ""]
        lines += [f"- `{r['cell']}`: {r.get('error') or r['status']}" for r in failed]
    lines += ["", *(f"![{Path(p).stem}]({p})" for p in pictures)]
    return "\n".join(lines) + "\n"


def _changes(study: Study) -> list[str]:
    """What every cell starts from and what each variant changes (its overrides and extra configs), as lines."""
    def shown(changes: dict[str, Any]) -> str:
        parts = [f"`-c {config}`" for config in changes.get("configs", ())]
        parts += [f"`{key}={value if isinstance(value, str) else json.dumps(value)}`"
                  for key, value in changes.items() if key != "configs"]
        return ", ".join(parts) or "nothing"

    lines = [f"Every cell: {shown({'configs': study.configs, **study.overrides})}."]
    if study.variants:
        lines += ["", "What each variant changes:", ""]
        lines += [f"- {name}: {shown(changes)}" for name, changes in study.variants.items()]
    return [*lines, ""]


def _machines(rows: list[dict[str, Any]]) -> list[str]:
    """The machine the finished cells ran on, as the summary's paragraph; several are flagged, since seconds (and
    what a time budget buys) compare only between cells of one machine."""
    counts: dict[str, int] = {}
    distinct = set()
    for row in rows:
        if row["status"] == "done":
            name = row["machine"] or "not recorded"
            counts[name] = counts.get(name, 0) + 1
            distinct.update(row["machines"] or [name])
    if not counts:
        return []
    if len(distinct) == 1:
        return [f"Machine: {next(iter(counts))}.", ""]
    listed = "; ".join(f"{name}: {count} cell{'s' * (count != 1)}" for name, count in counts.items())
    return [f"**The cells ran on {len(distinct)} machines** ({listed}; `results.csv` says which, a resumed cell "
            f"all of its machines joined by +): seconds, and the figures of a time-bounded run, compare only between "
            f"cells of one machine.", ""]


def _shown(path: Path) -> Path:
    """``path`` relative to the working folder where it is inside it (a summary is committed, not the machine)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _spread(values: list[float], bold: bool) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values)
    finite = all(math.isfinite(v) for v in values)  # reverse KL is inf for a run with no high-quality sample
    # one seed has no spread to show: its value alone, not "± 0"
    std = statistics.stdev(values) if len(values) > 1 and finite else math.nan
    text = f"{_number(mean)} ± {_number(std)}" if math.isfinite(std) else _number(mean)
    text = f"**{text}**" if bold else text
    return f"{text} [{_number(min(values))}, {_number(max(values))}]" if len(values) > 1 else text


def _number(value: float) -> str:
    if value == 0 or math.isinf(value) or math.isnan(value):
        return f"{value:g}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.1f}"


def _mean(values: list[Any]) -> Optional[float]:
    values = [v for v in values if not _missing(v)]
    return statistics.fmean(values) if values else None


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _csv_value(value: Any) -> Any:
    return f"{value:.6g}" if isinstance(value, float) else value


def write_report(study: Study, cells: list[Cell], command: str) -> int:
    """``results.csv``, ``summary.md`` and the plots in ``study.output_dir`` from whatever the cells hold now (a
    cell with no record is unfinished); returns the number of cells not done."""
    names = list(study.logged())
    rows, groups, samples = [], {}, {}
    for cell in cells:
        record = Record.read(cell) or Record.of(cell)
        kept = record.logged or {}  # a finished cell's record; else (unfinished, or older) its logs
        logs = kept if kept and set(names) <= set(kept["points"]) else read_logs(cell.folder, names)
        logged = curves(logs, study.progress, record.figures if record.done else None)
        machines = record.machine_names()
        rows.append({**record.to_json(), "group": cell.group, **cell_figures(study, record, logged),
                     "machines": machines, "machine": " + ".join(machines)})
        runs = groups.setdefault(cell.group, [])
        if not record.done:  # the curves, like the table, are of finished runs: a cut-off run would cut its band short
            continue
        runs.append(logged)
        if cell.group not in samples and (cell.folder / "samples.png").is_file():
            samples[cell.group] = plots.Samples(cell.folder / "samples.png", cell.seed, record.picture == "points")
    out = study.output_dir
    # All of the report or none of it: the previous one stays whole where a file cannot be written.
    with files.together(hint="free some space, or give the study another --output_dir") as add:
        add(out / "results.csv", csv_text(study, rows))
        pictures = []
        if names:
            add(out / "curves.png", partial(plots.plot_curves, groups, names, study.progress))
            add(out / "finals.png", partial(plots.plot_finals, rows, metric_columns(study)))
            pictures += ["curves.png", "finals.png"]
        if samples:
            add(out / "samples.png", partial(plots.plot_samples, samples))
            pictures.append("samples.png")
        add(out / "summary.md", summary_text(study, rows, command, pictures))
    return sum(row["status"] != "done" for row in rows)
