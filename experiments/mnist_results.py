"""The MNIST results of experiments/RESULTS.md: trains each config through the CLI, then scores 10k samples of the final
generator against the 10k test images with the shipped classifier, and prints markdown rows (for a conditional
config the samples are made for labels drawn from the training labels, and the row adds class accuracy and
per-class FID).

    python experiments/mnist_results.py [--epochs N] [configs/gan.yaml ...]

Without --epochs every config trains for its own max_epochs. Runs write to runs/results/<config>/. A config of
several files joins them with '+' (configs/cdcgan.yaml+experiments/dcgan_clusters.yaml: -c each, in order; named
after the last).
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
    cells += [f"{figures[k]:.3f}" if k in figures else "-" for k in ("class_accuracy", "class_fid")]
    return f"| {name} | {' | '.join(cells)} | {extra} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", default=CONFIGS)
    parser.add_argument("--epochs", type=int, default=None, help="override every config's max_epochs")
    args = parser.parse_args()
    del sys.argv[1:]  # the CLI gets its arguments from us; Lightning warns when sys.argv holds others too
    lines, metric = [], ClassifierMetrics("mnist")
    for config in args.configs:
        files = config.split("+")
        name = Path(files[-1]).stem
        fit = ["fit", *(arg for file in files for arg in ("-c", file)),
               "--trainer.logger.init_args.save_dir=runs/results", f"--trainer.logger.init_args.name={name}"]
        if args.epochs is not None:
            fit.append(f"--trainer.max_epochs={args.epochs}")
        start = time.perf_counter()
        cli = cli_main(fit)
        minutes = (time.perf_counter() - start) / 60
        metric.setup(cli.datamodule)
        labels = cli.model.label_prior.draw(10_000, seed=0)  # None for an unconditional config
        figures = metric(cli.model.generate(10_000, seed=0, labels=labels), labels)
        epochs = cli.trainer.current_epoch
        lines.append(row(" + ".join(f"`{file}`" for file in files), figures, f"{epochs} epochs, {minutes:.1f} min"))
        print(lines[-1], flush=True)
    lines.append(row("real: 10k training images (floor)", metric.floor(10_000, conditional=True), "-"))
    print(f"| config | FID | KID | IS | classes | precision | recall | class accuracy | class FID | training |\n"
          f"|{'---|' * 10}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
