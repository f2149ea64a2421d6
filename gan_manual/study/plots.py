"""A study's pictures (PNG, matplotlib): each metric over training per variant with its seeds as a band, the
final figures per variant with every seed as a point, and each variant's samples side by side."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Union

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none opened

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

#: A metric over training: (epochs completed or seconds of training, value), in order.
Curve = list[tuple[float, float]]
#: Where a picture goes: a file's path, or a binary file open for writing.
Target = Union[Path, BinaryIO]


def plot_curves(groups: dict[str, list[dict[str, Curve]]], metrics: list[str], progress: str, target: Target) -> None:
    """``groups``: variant -> one ``{metric: curve}`` per seed. Each variant's mean over seeds as a line, their
    range as a band; seeds are put on a common x (their own points for epochs, 50 steps over the shortest run for
    seconds). A variant keeps its colour in every panel, also where others logged nothing (a curve such as
    adaptive augmentation's p)."""
    fig, axes = _axes(len(metrics))
    for ax, metric in zip(axes, metrics):
        for colour, (group, runs) in enumerate(groups.items()):
            seeds = [run[metric] for run in runs if run.get(metric)]
            if not seeds:
                continue
            # from the first measurement on: nothing is drawn where no seed was measured yet
            xs = (sorted({x for seed in seeds for x, _ in seed}) if progress == "epoch"
                  else np.linspace(max(seed[0][0] for seed in seeds), min(seed[-1][0] for seed in seeds), 50))
            ys = np.array([np.interp(xs, [x for x, _ in seed], [y for _, y in seed], left=np.nan, right=np.nan)
                           for seed in seeds])
            line = ax.plot(xs, np.nanmean(ys, axis=0), label=group, color=f"C{colour % 10}",
                           marker="." if len(xs) < 30 else None)[0]
            if len(seeds) > 1:
                ax.fill_between(xs, np.nanmin(ys, axis=0), np.nanmax(ys, axis=0), color=line.get_color(), alpha=0.2)
        drawn = [y for line in ax.get_lines() for y in line.get_ydata() if np.isfinite(y)]
        if drawn and min(drawn) > 0 and max(drawn) > 10 * min(drawn):  # FID falls from hundreds: the end shows
            ax.set_yscale("log")
        ax.set_xlabel("epochs" if progress == "epoch" else "seconds of training")
        ax.set_title(metric)
    axes[0].legend(fontsize="small")
    _save(fig, target)


def plot_finals(rows: list[dict[str, Any]], columns: list[str], target: Target) -> None:
    """Each column's value per variant: every seed a point, the mean a bar across."""
    groups = list(dict.fromkeys(r["group"] for r in rows))
    fig, axes = _axes(len(columns))
    for ax, column in zip(axes, columns):
        for i, group in enumerate(groups):
            values = [r[column] for r in rows if r["group"] == group and r["status"] == "done"
                      and isinstance(r[column], float) and np.isfinite(r[column])]
            if values:
                ax.scatter(np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)), values, s=14)
                ax.hlines(np.mean(values), i - 0.3, i + 0.3, color="black")
        ax.set_xticks(range(len(groups)), groups, rotation=30, ha="right", fontsize="small")
        ax.set_title(column)
    _save(fig, target)


@dataclass(frozen=True)
class Samples:
    """A cell's picture of its samples (``samples.png``), the seed of its run, and whether it shows 2D points."""

    file: Path
    seed: int
    points: bool = False


def plot_samples(samples: dict[str, Samples], target: Target) -> None:
    """One panel per variant: the picture of its first finished seed's samples, titled with that seed; a legend
    for the colours where the pictures are of points (generated red, real grey)."""
    fig, axes = _axes(len(samples), size=3.2)
    for ax, (group, shown) in zip(axes, samples.items()):
        ax.imshow(plt.imread(shown.file))
        ax.set_title(f"{group} (seed {shown.seed})" if group else f"seed {shown.seed}", fontsize="small")
        ax.axis("off")
    points = any(shown.points for shown in samples.values())
    if points:  # the colours of gan_manual.pictures.scatter
        fig.legend(handles=[Patch(color=(0.85, 0.1, 0.1), label="generated"),
                            Patch(color=(0.7, 0.7, 0.7), label="real (training data)")],
                   loc="lower center", ncol=2, fontsize="small", frameon=False)
    _save(fig, target, bottom=0.08 if points else 0.0)


def _axes(n: int, size: float = 4.0) -> tuple[Any, list[Any]]:
    columns = min(n, 4)
    rows = (n + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, list(axes.flat[:n])


def _save(fig: Any, target: Target, bottom: float = 0.0) -> None:
    """A PNG to ``target``, with the panels above the lowest ``bottom`` of the figure (where a legend goes)."""
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.savefig(target, format="png", dpi=80)
    plt.close(fig)
