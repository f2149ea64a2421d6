"""Training speed of a config through the CLI's code path against a bare PyTorch loop of the same networks and
algorithm (the config's nets, loss, penalty, optimizers, schedule, clipping and moving average, built by the CLI
and then driven by a plain loop with no Lightning), in batches per second.

    python experiments/benchmark.py [--config configs/gan.yaml ...] [--batches 300] [--warmup 30] [--repeats 3]
                                    [--threads N] [--channels-last] [--compile] [--precision bf16-mixed]

Needs the config's data already on disk: ``--root`` (given to ``data.init_args.root``) or ``$GAN_MANUAL_DATA``.
Runs alternate between the two loops, so load from other processes hits both alike; the median of the repeats is
reported. The bare loop covers unconditional systems (any loss, penalties with their laziness, augmentation); the
values a callback would change during training (ramps) stay at their configured ones, which costs the same.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import lightning as L
import torch

from gan_manual.callbacks import ChannelsLast
from gan_manual.cli import GANCLI
from gan_manual.data.images import default_root

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "gan.yaml"


class BatchTimer(L.Callback):
    """Seconds from the start of batch ``first`` to the end of batch ``last``."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last, self.seconds = first, last, float("nan")

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == self.first:
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if batch_idx == self.last:
            self.seconds = time.perf_counter() - self.start


def build(config: str | list[str], root: str, batches: int, out: str, channels_last: bool = False,
          compile: bool = False, precision: str | None = None) -> GANCLI:
    """The config's system, data and trainer as ``fit -c CONFIG [-c CONFIG ...]`` builds them, not yet run."""
    files = [config] if isinstance(config, str) else config
    cli = GANCLI(
        args=[
            *(arg for file in files for arg in ("-c", file)),
            f"--data.init_args.root={root}",
            "--data.init_args.download=false",
            "--trainer.max_epochs=1",
            f"--trainer.limit_train_batches={batches}",
            f"--trainer.logger.init_args.save_dir={out}",
            "--trainer.enable_model_summary=false",
            "--trainer.enable_progress_bar=false",
            *([f"--trainer.precision={precision}"] if precision else []),
        ],
        run=False,
    )
    # A config with the ChannelsLast callback trains channels-last under fit: the bare loop gets it too.
    if channels_last or any(isinstance(c, ChannelsLast) for c in cli.trainer.callbacks):
        cli.model.to(memory_format=torch.channels_last)
    if compile:  # in place: the modules keep their names, so the state_dict and the moving average are unchanged
        cli.model.generator.compile()
        cli.model.discriminator.compile()
    return cli


def lightning_loop(config: str | list[str], root: str, batches: int, warmup: int, out: str, channels_last: bool,
                   compile: bool = False, precision: str | None = None) -> float:
    """Batches per second of ``fit -c CONFIG``, built and run by the CLI's own code."""
    cli = build(config, root, batches, out, channels_last, compile, precision)
    timer = BatchTimer(warmup, batches - 1)
    cli.trainer.callbacks.append(timer)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return (batches - warmup) / timer.seconds


def bare_loop(config: str | list[str], root: str, batches: int, warmup: int, out: str, channels_last: bool,
              compile: bool = False, precision: str | None = None) -> float:
    """The same algorithm as plain PyTorch: per batch, the schedule's G and D steps with the config's objective
    (the system's own: loss, penalties on their batches, augmentation), optimizers, clipping and moving average of
    G (the losses under bf16 autocast for bf16-mixed, as Lightning's precision plugin runs the training step)."""
    torch.manual_seed(0)
    cli = build(config, root, batches, out, channels_last, compile, precision)
    model = cli.model
    if cli.trainer.precision not in ("32-true", "bf16-mixed"):
        sys.exit(f"error: --precision: the bare loop runs 32-true or bf16-mixed, not {cli.trainer.precision}")
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cli.trainer.precision == "bf16-mixed")
    if model.num_classes:
        sys.exit("error: --config: the bare loop runs unconditional systems; this one is conditional")
    g, d, objective = model.generator, model.discriminator, model.objective
    g_opt, d_opt = (model.optimization.optimizers[name](net.parameters()) for name, net in
                    (("generator", g), ("discriminator", d)))
    clip = model.optimization.clip_norms
    size = cli.datamodule.batch_size
    images = cli.datamodule.reference_samples("train", limit=batches * size)  # in the range the networks see
    rng = torch.Generator().manual_seed(0)

    def step(opt, value, params, clip_norm):
        opt.zero_grad(set_to_none=True)
        value.backward()
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, clip_norm)
        opt.step()

    for i in range(batches):
        if i == warmup:
            start = time.perf_counter()
        first = i * size % (len(images) - size + 1)
        real = images[first : first + size]
        for network in model.schedule.steps(i):
            z = torch.randn(size, model.latent_dim, generator=rng)
            if network == "g":
                d.requires_grad_(False)
                with autocast:
                    g_loss, _ = objective.generator(d, g(z), None, rng, real)
                d.requires_grad_(True)
                step(g_opt, g_loss, g.parameters(), clip["generator"])
                if model.generator_ema is not None:
                    model.generator_ema.update_parameters(g)
            else:
                with torch.no_grad(), autocast:
                    fake = g(z)
                with autocast:
                    d_loss, _ = objective.discriminator(d, real, None, fake, None, rng, i)
                step(d_opt, d_loss, d.parameters(), clip["discriminator"])
    return (batches - warmup) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=300, help="batches per run, warm-up included")
    parser.add_argument("--warmup", type=int, default=30, help="first batches left out of the timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--config", nargs="+", default=[str(CONFIG)],
                        help="the config to time, or configs composed left to right (default: configs/gan.yaml)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--channels-last", action="store_true",
                        help="both loops in channels-last memory format (implied by a config with ChannelsLast)")
    parser.add_argument("--compile", action="store_true", help="both loops with G and D compiled (torch.compile)")
    parser.add_argument("--precision", default=None,
                        help="trainer.precision for both loops: 32-true or bf16-mixed (default: the config's)")
    parser.add_argument("--root", default=str(default_root()),
                        help="the data's folder, data.init_args.root (default: $GAN_MANUAL_DATA or ./data)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bare, lit = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeats):
            options = (out, args.channels_last, args.compile, args.precision)
            bare.append(bare_loop(args.config, args.root, args.batches, args.warmup, *options))
            lit.append(lightning_loop(args.config, args.root, args.batches, args.warmup, *options))
    b, c = statistics.median(bare), statistics.median(lit)
    print(f"{' + '.join(args.config)}: threads={torch.get_num_threads()} batches={args.batches - args.warmup} timed x "
          f"{args.repeats} repeats{', channels-last' if args.channels_last else ''}"
          f"{', compiled' if args.compile else ''}{f', precision {args.precision}' if args.precision else ''}")
    print(f"bare PyTorch loop : {b:7.1f} batches/s   (runs: {', '.join(f'{x:.1f}' for x in bare)})")
    print(f"gan_manual CLI    : {c:7.1f} batches/s   (runs: {', '.join(f'{x:.1f}' for x in lit)})")
    paired = sorted(x / y for x, y in zip(lit, bare))
    print(f"ratio             : {c / b:.3f}   (median of medians; run by run: {', '.join(f'{r:.2f}' for r in paired)})")


if __name__ == "__main__":
    main()
