"""The checkpoint a run resumes from: ``last.ckpt``, kept current every N training batches."""

from typing import Any, Literal, Optional

import lightning as L
from jsonargparse.typing import NonNegativeInt, PositiveInt
from lightning.pytorch.callbacks import ModelCheckpoint


class ResumeCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint that also rewrites ``last.ckpt`` every ``every_n_batches`` training batches.

    ModelCheckpoint's ``every_n_train_steps`` counts ``trainer.global_step``, which a GAN advances once per
    optimizer step (2 to 6 per batch, and a different number during D warm-up): it would save irregularly or
    never. This counts batches. ``last.ckpt`` is always kept (``save_last=True``); ``monitor``/``save_top_k``
    work as in ModelCheckpoint, at validation or epoch end.

    Args:
        every_n_batches: Training batches between saves of ``last.ckpt``; None saves at epoch ends only.
        dirpath, filename, monitor, mode, save_top_k, every_n_epochs: As in ModelCheckpoint.
    """

    def __init__(
        self,
        every_n_batches: Optional[PositiveInt] = 500,
        dirpath: Optional[str] = None,
        filename: Optional[str] = None,
        monitor: Optional[str] = None,
        mode: Literal["min", "max"] = "min",
        save_top_k: int = 0,
        every_n_epochs: Optional[NonNegativeInt] = None,
    ) -> None:
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=monitor,
            mode=mode,
            save_top_k=save_top_k,
            save_last=True,
            every_n_epochs=every_n_epochs,
        )
        self.every_n_batches = every_n_batches

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        batches = trainer.fit_loop.total_batch_idx + 1  # over the run, restored on resume
        # Not on an epoch's last batch: Lightning resumes such a checkpoint as a finished epoch and would skip the
        # epoch's end (validation, epoch-end hooks, epoch schedulers); the epoch-end save follows right after.
        last_of_epoch = batch_idx + 1 >= trainer.num_training_batches
        if self.every_n_batches and batches % self.every_n_batches == 0 and not last_of_epoch:
            self._save_last(trainer)

    # Lightning 2.6 writes last.ckpt at an epoch's end only when a top-k checkpoint was written too; with
    # save_top_k=0 (no GAN loss measures quality) it never would. These write it at the end of every epoch, through
    # ModelCheckpoint's private helpers (_should_save_on_train_epoch_end, _save_last_checkpoint...): they exist
    # in Lightning 2.4 to 2.6, and setup.cfg pins lightning<2.7.

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self._should_save_on_train_epoch_end(trainer):
            self._save_last(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_save_on_train_epoch_end(trainer):
            self._save_last(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.fast_dev_run:  # Lightning 2.6 writes last.ckpt here even under fast_dev_run
            super().on_train_end(trainer, pl_module)

    def _save_last(self, trainer: L.Trainer) -> None:
        if not self._should_skip_saving_checkpoint(trainer):  # skips a second save at the same step
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
