"""``python -m gan_manual sample``: samples from a checkpoint alone, no config needed.

    python -m gan_manual sample --ckpt_path CKPT --num_samples N --output_dir DIR [--seed S]
        [--labels L [L ...] | --class_grid K] [--score]

Writes ``DIR/samples.pt`` (float ``(N, *data_shape)`` in the data's range: ``(N, C, H, W)`` in [-1, 1] for
images) and ``DIR/grid.png`` (the first 100 images on a grid, or a scatter of 2D samples). The networks are
rebuilt from the class paths and arguments saved in the checkpoint, loaded with ``weights_only=True``.

From a class-conditional checkpoint the samples' classes are drawn from the training labels' distribution, or
given: ``--labels 3 7`` (repeated to N), ``--class_grid K`` (K samples of every class, and ``grid.png`` with one
class per row); ``DIR/labels.pt`` holds them (int64 ``(N,)``). ``--score`` scores MNIST samples
with the shipped classifier against the checkpoint's data (``scores.json``; with labels, class accuracy and FID).
"""

import argparse
import importlib
import inspect
import json
import math
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any, NoReturn, Optional

import torch

from gan_manual import files, generation, machine, upgrade
from gan_manual import labels as class_labels
from gan_manual.console import check_writable, fail
from gan_manual.errors import ConfigError, causes
from gan_manual.metrics.images import DATASETS, ClassifierMetrics
from gan_manual.pictures import image_grid
from gan_manual.resume import read_checkpoint
from gan_manual.system import GAN


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(f"{message} (python -m gan_manual sample --help)")


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m gan_manual sample", description=__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt_path", required=True, help="a checkpoint written by gan_manual fit")
    p.add_argument("--num_samples", type=_positive, default=64)
    p.add_argument("--output_dir", required=True, help="folder for samples.pt and grid.png (made if missing)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise: same seed, same samples")
    p.add_argument("--batch_size", type=_positive, default=1000, help="samples per forward pass")
    labels = p.add_mutually_exclusive_group()
    labels.add_argument("--labels", type=int, nargs="+", metavar="L",
                        help="conditional checkpoints: the classes to make, repeated to num_samples")
    labels.add_argument("--class_grid", type=_positive, metavar="K",
                        help="conditional checkpoints: K samples of every class (replaces num_samples), one row each")
    p.add_argument("--score", action="store_true",
                   help="score the samples with the shipped classifier against the checkpoint's MNIST data")
    return p


def load(ckpt_path: str) -> GAN:
    """The system saved in ``ckpt_path``, rebuilt on the CPU from the class paths and arguments in it."""
    saved = read_checkpoint(ckpt_path).get("hyper_parameters") or {}  # a clear error for a bad or foreign file
    try:
        networks = {key: _accepted(saved[key]) for key in ("generator", "discriminator") if key in saved}
        with warnings.catch_warnings():  # rebuilt outside the CLI, the system's hparams hold the nets: harmless
            warnings.filterwarnings("ignore", message="Attribute '.*' is an instance of `nn.Module`")
            return GAN.load_from_checkpoint(ckpt_path, map_location="cpu", weights_only=True, **networks)
    except Exception as error:
        missing = _import_problem(error)
        if missing is None:
            raise
        raise ConfigError(
            f"ckpt_path: {ckpt_path} names a class that does not import here ({missing}); run from the folder that "
            f"holds its module, or add that folder to PYTHONPATH"
        ) from error


def _accepted(network: Any) -> Any:
    """A saved network config without the linked keys (``data_shape``, ``num_classes``) its class does not take.

    The CLI links both keys into every network's arguments, and the class's own ``__init__`` decides which it
    takes (a network of one's own may take neither); the checkpoint records both."""
    if not isinstance(network, dict) or "class_path" not in network:
        return network
    module_name, _, class_name = network["class_path"].rpartition(".")
    parameters = inspect.signature(getattr(importlib.import_module(module_name), class_name)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return network
    init_args = {k: v for k, v in (network.get("init_args") or {}).items()
                 if k in parameters or k not in ("data_shape", "num_classes")}
    return {**network, "init_args": init_args}


def _import_problem(error: BaseException) -> Optional[str]:
    """``No module named 'x'`` (or the like) if ``error`` or one of its causes is a failed import."""
    for cause in causes(error):
        found = re.search(r"No module named '[^']+'|[Cc]annot import name '[^']+'|has no attribute '[^']+'", str(cause))
        if isinstance(cause, ImportError) or found:
            return found.group(0) if found else str(cause)
    return None


def requested_labels(args: argparse.Namespace, num_classes: int) -> Optional[torch.Tensor]:
    """The labels ``(N,)`` the arguments ask for (None: drawn by the model, or unconditional); a ConfigError for
    labels out of range or on an unconditional checkpoint."""
    if args.labels is None and args.class_grid is None:
        return None
    option = "--labels" if args.labels is not None else "--class_grid"
    class_labels.check(option, args.labels or [], num_classes, f"{args.ckpt_path} holds an unconditional generator")
    if args.class_grid is not None:
        return torch.arange(num_classes).repeat_interleave(args.class_grid)
    return class_labels.repeat(args.labels, args.num_samples)


def scorer(ckpt_path: str) -> ClassifierMetrics:
    """ClassifierMetrics on the test split of the data the checkpoint was trained on (its datamodule's saved
    arguments); a ConfigError for data without a shipped classifier."""
    saved = dict(read_checkpoint(ckpt_path).get("datamodule_hyper_parameters") or {})
    class_path = saved.pop("_class_path", "")
    classifier = {f"gan_manual.data.{name}DataModule": key for key, name in DATASETS.items()}.get(class_path)
    if classifier is None:
        raise ConfigError(f"--score: scores {' and '.join(DATASETS.values())} samples with the shipped classifier; "
                          f"{ckpt_path} was trained on {class_path or 'data it does not record'}")
    module_name, _, class_name = class_path.rpartition(".")
    datamodule_class = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    arguments = {k: v for k, v in upgrade.datamodule_hparams(saved).items() if not k.startswith("_")}
    metric = ClassifierMetrics(classifier)
    metric.setup(datamodule_class(**arguments))
    return metric


def check_memory(num_samples: int, data_shape: tuple[int, ...]) -> None:
    """The samples fit in memory (as float32, with room to write them): else one line, before any is made."""
    needed = 2 * num_samples * math.prod(data_shape) * 4
    available = machine.available_memory()
    if available is not None and needed > available:
        raise ConfigError(f"--num_samples: {num_samples:,} samples of shape {tuple(data_shape)} take about "
                          f"{files.size(needed)} to make and write, and this machine has {files.size(available)} "
                          f"available; ask for fewer at a time (another --seed gives other samples)")


class Progress:
    """A line on stderr every few seconds while many samples are made: how many of how many."""

    def __init__(self, total: int, every: float = 5.0) -> None:
        self.total, self.every = total, every
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        if time.monotonic() - self.last >= self.every and done < self.total:
            self.last = time.monotonic()
            sys.stderr.write(f"sample: {done:,} of {self.total:,} samples ({100 * done / self.total:.1f}%)\n")


def main(argv: Optional[list[str]] = None) -> None:
    args = parser().parse_args(argv)
    check_writable("output_dir", Path(args.output_dir))
    model = load(args.ckpt_path)
    labels = requested_labels(args, model.num_classes)
    metric = scorer(args.ckpt_path) if args.score else None  # the data is found (or not) before anything is made
    num_samples = len(labels) if labels is not None else args.num_samples
    check_memory(num_samples, getattr(model.generator, "data_shape", ()))  # a network of one's own may not say
    if labels is None:
        labels = model.label_prior.draw(num_samples, args.seed)  # None for an unconditional generator
    samples = model.generate(num_samples, args.seed, args.batch_size, labels, Progress(num_samples))
    out = Path(args.output_dir)
    grid = image_grid(samples, args.class_grid) if args.class_grid is not None else None  # a class per row
    written = generation.write(out, samples, labels, grid)
    if metric is not None:
        figures = metric(samples, labels)
        written.append(files.write(out / "scores.json", json.dumps(figures, indent=1) + "\n"))
        print("  ".join(f"{k} {v:.4g}" for k, v in figures.items()))
    print(f"wrote {', '.join(map(str, written))} ({tuple(samples.shape)})")
