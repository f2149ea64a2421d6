"""The README's MNIST results: trains each config through the CLI, then scores 10k samples of the final
generator against the 10k test images with the shipped classifier, and prints markdown rows.

    python experiments/mnist_results.py [--epochs N] [configs/gan.yaml ...]

Without --epochs every config trains for its own max_epochs. Runs write to runs/results/<config>/.
"""

import argparse
import sys
import time
from pathlib import Path

from gan_manual.cli import main as cli_main
from gan_manual.metrics import ClassifierMetrics

CONFIGS = ["configs/gan.yaml", "configs/advanced_gan.yaml", "configs/custom_training_gan.yaml", "configs/wgan.yaml"]
COLUMNS = ("fid", "kid", "inception_score", "classes_covered", "precision", "recall")


def row(name: str, figures: dict[str, float], extra: str) -> str:
    cells = [f"{figures['fid']:.2f}", f"{figures['kid']:.4f}", f"{figures['inception_score']:.2f}",
             f"{figures['classes_covered']:.0f}", f"{figures['precision']:.3f}", f"{figures['recall']:.3f}"]
    return f"| {name} | {' | '.join(cells)} | {extra} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", default=CONFIGS)
    parser.add_argument("--epochs", type=int, default=None, help="override every config's max_epochs")
    args = parser.parse_args()
    del sys.argv[1:]  # the CLI gets its arguments from us; Lightning warns when sys.argv holds others too
    lines, metric = [], ClassifierMetrics("mnist")
    for config in args.configs:
        name = Path(config).stem
        fit = ["fit", "-c", config,
               "--trainer.logger.init_args.save_dir=runs/results", f"--trainer.logger.init_args.name={name}"]
        if args.epochs is not None:
            fit.append(f"--trainer.max_epochs={args.epochs}")
        start = time.perf_counter()
        cli = cli_main(fit)
        minutes = (time.perf_counter() - start) / 60
        metric.setup(cli.datamodule)
        figures = metric(cli.model.generate(10_000, seed=0))
        epochs = cli.trainer.current_epoch
        lines.append(row(f"`{config}`", figures, f"{epochs} epochs, {minutes:.1f} min"))
        print(lines[-1], flush=True)
    lines.append(row("real: 10k training images (floor)", metric.floor(10_000), "-"))
    print(f"| config | FID | KID | IS | classes | precision | recall | training |\n|{'---|' * 8}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
