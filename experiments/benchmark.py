"""Training speed of configs/gan.yaml through the CLI's code path against a bare PyTorch loop of the same
algorithm (same nets, batch 64, G step then D step, BCE, Adam 2e-4), in batches per second.

    python experiments/benchmark.py [--batches 300] [--warmup 30] [--repeats 3] [--threads N]

Needs MNIST: ``--root`` or ``$GAN_MANUAL_DATA`` (a folder holding MNIST/raw/). Runs alternate between the two
loops, so load from other processes hits both alike; the median of the repeats is reported.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F

from gan_manual.cli import GANCLI
from gan_manual.data.mnist import default_root
from gan_manual.nets import MLPDiscriminator, MLPGenerator

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


def lightning_loop(root: str, batches: int, warmup: int, out: str) -> float:
    """Batches per second of ``fit -c configs/gan.yaml``, built and run by the CLI's own code."""
    cli = GANCLI(
        args=[
            "-c", str(CONFIG),
            f"--data.init_args.root={root}",
            "--data.init_args.download=false",
            "--trainer.max_epochs=1",
            f"--trainer.limit_train_batches={batches}",
            f"--trainer.logger.init_args.save_dir={out}",
            "--trainer.enable_model_summary=false",
        ],
        run=False,
    )
    timer = BatchTimer(warmup, batches - 1)
    cli.trainer.callbacks.append(timer)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return (batches - warmup) / timer.seconds


def bare_loop(root: str, batches: int, warmup: int) -> float:
    """The same algorithm as plain PyTorch: one G step, then one D step per batch."""
    torch.manual_seed(0)
    from torchvision.datasets import MNIST

    images = MNIST(root, train=True, download=False).data.unsqueeze(1)
    generator, discriminator = MLPGenerator(), MLPDiscriminator()
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(0)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    for i in range(batches):
        if i == warmup:
            start = time.perf_counter()
        real = images[order[i * 64 : (i + 1) * 64]].float().div_(127.5).sub_(1.0)
        # G step (D frozen, as the system does)
        discriminator.requires_grad_(False)
        fake_out = discriminator(generator(torch.randn(64, 100, generator=rng)))
        g_loss = F.softplus(-fake_out).mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        discriminator.requires_grad_(True)
        g_opt.step()
        # D step
        with torch.no_grad():
            fake = generator(torch.randn(64, 100, generator=rng))
        real_out, fake_out = discriminator(real), discriminator(fake)
        d_loss = F.binary_cross_entropy_with_logits(real_out, torch.ones_like(real_out)) + F.softplus(fake_out).mean()
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
    return (batches - warmup) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=300, help="batches per run, warm-up included")
    parser.add_argument("--warmup", type=int, default=30, help="first batches left out of the timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--root", default=str(default_root()), help="folder holding MNIST/raw/")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not (Path(args.root) / "MNIST" / "raw").is_dir():
        sys.exit(f"error: --root: no MNIST/raw/ under {Path(args.root).resolve()}; pass --root or set GAN_MANUAL_DATA")
    bare, lit = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeats):
            bare.append(bare_loop(args.root, args.batches, args.warmup))
            lit.append(lightning_loop(args.root, args.batches, args.warmup, out))
    b, c = statistics.median(bare), statistics.median(lit)
    print(f"threads={torch.get_num_threads()} batches={args.batches - args.warmup} timed x {args.repeats} repeats")
    print(f"bare PyTorch loop : {b:7.1f} batches/s   (runs: {', '.join(f'{x:.1f}' for x in bare)})")
    print(f"gan_manual CLI    : {c:7.1f} batches/s   (runs: {', '.join(f'{x:.1f}' for x in lit)})")
    paired = sorted(x / y for x, y in zip(lit, bare))
    print(f"ratio             : {c / b:.3f}   (median of medians; run by run: {', '.join(f'{r:.2f}' for r in paired)})")


if __name__ == "__main__":
    main()
