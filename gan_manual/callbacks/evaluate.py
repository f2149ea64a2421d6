"""Sample quality during training and at ``test``: generates samples from fixed noise and scores them with an
injected metric (ClassifierMetrics for MNIST, ModeMetrics for the toy mixtures)."""

import sys
from typing import Any, Optional

import lightning as L
from jsonargparse.typing import PositiveInt
from lightning.pytorch.loggers import TensorBoardLogger

from gan_manual.hparams import write_hparams
from gan_manual.metrics.base import SampleMetric


class Evaluate(L.Callback):
    """Every ``every_n_epochs`` training epochs, and once in ``test``, logs the metric's figures.

    Training logs them under their own names (``fid``, ``precision``, ``modes``...), at the end of the epoch and
    before checkpointing, so ``ModelCheckpoint(monitor="fid", mode="min")`` can keep the best; they are also the
    metrics of the run's TensorBoard HParams record. ``test`` logs ``test/<name>``. Each evaluation prints a table
    with the sample count, the feature space and the reference split, beside the same figures for real training
    data (the floor: what a perfect generator would score).

    Args:
        metric: What to compute (``class_path`` of a :class:`SampleMetric`).
        num_samples: Samples per evaluation (the papers' 10k for images, 2,500 for the toy mixtures).
        every_n_epochs: Epoch interval during training; 0 evaluates only in ``test``.
        seed: Seed of the fixed noise.
        batch_size: Samples generated per forward pass.
    """

    def __init__(
        self,
        metric: SampleMetric,
        num_samples: PositiveInt = 10_000,
        every_n_epochs: int = 1,
        seed: int = 0,
        batch_size: PositiveInt = 1000,
    ) -> None:
        self.metric = metric
        self.num_samples = num_samples
        self.every_n_epochs = every_n_epochs
        self.seed = seed
        self.batch_size = batch_size
        self._floor: Optional[dict[str, float]] = None

    def check(self, datamodule: L.LightningDataModule) -> None:
        """The metric can score this data (asked by the CLI before anything is written)."""
        self.metric.check(datamodule)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        # After the datamodule's setup and before anything is written: a metric that does not fit the data
        # (an MNIST classifier on Fashion-MNIST) stops the run here, in one line. Predict scores nothing (and
        # runs on the generator's inputs, not on the data: gan_manual.prediction).
        if stage != "predict":
            self.metric.setup(trainer.datamodule)

    def evaluate(self, pl_module: L.LightningModule) -> dict[str, float]:
        """The metric's figures for ``pl_module``'s samples now (what training and ``test`` log; a study's final
        figures)."""
        # A conditional system's samples are made for labels drawn from the data's distribution, which the metric
        # gets too (to score how well the samples keep to them).
        labels = pl_module.label_prior.draw(self.num_samples, self.seed)  # None for an unconditional system
        fake = pl_module.generate(self.num_samples, self.seed, self.batch_size, labels)
        return self.metric(fake) if labels is None else self.metric(fake, labels)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # TensorBoard's HParams tab: the run's hyperparameters with these figures as its metrics (their values
        # are the scalars logged under the same names), in place of Lightning's placeholder hp_metric of -1.
        names = self.metric.names(conditional=pl_module.num_classes > 0)
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger) and trainer.is_global_zero and self.every_n_epochs > 0:
                write_hparams(logger.experiment.file_writer, _flat(dict(logger.hparams)), dict.fromkeys(names, 0.0))

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.every_n_epochs <= 0 or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        figures = self.evaluate(pl_module)  # every process computes the same (same noise, same data)
        pl_module.log_dict(figures, on_epoch=True, on_step=False)
        self._show(trainer, pl_module, figures, f"epoch {trainer.current_epoch}")

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        figures = self.evaluate(pl_module)
        pl_module.log_dict({f"test/{k}": v for k, v in figures.items()}, on_epoch=True, on_step=False)
        self._show(trainer, pl_module, figures, "test")

    def _show(self, trainer: L.Trainer, pl_module: L.LightningModule, figures: dict[str, float], when: str) -> None:
        """The table of ``figures`` and their floor (computed once) on the console, from the first process."""
        if not trainer.is_global_zero:
            return
        if self._floor is None:
            self._floor = self.metric.floor(self.num_samples, conditional=pl_module.num_classes > 0)
        text = table(figures, self._floor, f"{when}: {self.metric.describe(self.num_samples)}")
        bar = trainer.progress_bar_callback
        if bar is not None and hasattr(bar, "print") and not getattr(bar, "is_disabled", True):
            bar.print(text.rstrip("\n"))  # above the progress bar, which would otherwise overwrite it
        else:
            sys.stdout.write(text)


def table(figures: dict[str, float], floor: dict[str, float], description: str) -> str:
    """A plain-text table: one metric per row, the samples' value and the real-data floor."""
    width = max(len(k) for k in figures)
    rows = [f"{'metric':<{width}}  {'samples':>12}  {'real (floor)':>12}"]
    rows += [f"{k:<{width}}  {v:>12.4f}  {floor.get(k, float('nan')):>12.4f}" for k, v in figures.items()]
    rule = "-" * len(rows[0])
    return "\n".join(["", description, rule, rows[0], rule, *rows[1:], rule, ""]) + "\n"


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested hyperparameters as one level of ``a/b`` keys."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}/"))
        else:
            flat[name] = value
    return flat
