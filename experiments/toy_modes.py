"""Mode coverage on the toy mixtures over seeds, by VEEGAN/PacGAN's protocol (2,500 samples; high quality within
3 std of the nearest mode; a mode is captured by at least one high-quality sample; KL of the high-quality mode
histogram to uniform). Trains the config once per seed through the CLI and prints a row per seed and the mean
and standard deviation.

    python experiments/toy_modes.py -c configs/toy_ring.yaml [--seeds 10] [-- any CLI override ...]
"""

import argparse
import sys
import tempfile
import time

import torch

from gan_manual.cli import main as cli_main
from gan_manual.metrics import ModeMetrics


def run(config: str, seed: int, overrides: list[str]) -> tuple[dict[str, float], float]:
    """Trains with ``seed`` in a scratch folder; the mode metrics of 2,500 samples, and the training seconds."""
    with tempfile.TemporaryDirectory() as folder:
        args = ["fit", "-c", config, f"--seed_everything={seed}", f"--trainer.default_root_dir={folder}",
                f"--trainer.logger.init_args.save_dir={folder}", "--trainer.enable_progress_bar=false",
                "--trainer.enable_model_summary=false", "--trainer.callbacks=[]", *overrides]
        start = time.perf_counter()
        cli = cli_main(args)
        seconds = time.perf_counter() - start
    metric = ModeMetrics()
    metric.setup(cli.datamodule)
    return metric(cli.model.generate(2500, seed)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("overrides", nargs="*", help="CLI overrides, after --")
    args = parser.parse_args()
    del sys.argv[1:]  # the CLI gets its arguments from us; Lightning warns when sys.argv holds others too
    rows = []
    for seed in range(args.seeds):
        figures, seconds = run(args.config, seed, args.overrides)
        rows.append({**figures, "seconds": seconds})
        print(f"seed {seed}: modes {figures['modes']:.0f}, high quality {figures['hq_percent']:.1f}%, "
              f"reverse KL {figures['reverse_kl']:.4f}, {seconds:.0f} s", flush=True)
    print(f"{' '.join([args.config, *args.overrides])} over {args.seeds} seeds (mean ± std):")
    for key in ("modes", "hq_percent", "reverse_kl", "seconds"):
        values = torch.tensor([r[key] for r in rows], dtype=torch.float64)
        spread = values.std().item() if len(values) > 1 else 0.0
        print(f"  {key:>10}: {values.mean():.3f} ± {spread:.3f}  (min {values.min():.3f}, max {values.max():.3f})")


if __name__ == "__main__":
    main()
