"""Lightning's progress bar, with the epoch and its length from the first batch of a resumed run."""

import math
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar


class ProgressBar(TQDMProgressBar):
    """Lightning's TQDMProgressBar (the configs' and the CLI's default; the same arguments). A run resumed inside an epoch skips the epoch-start hook,
    where Lightning's bar learns the epoch's number and length, so it read ``Training: 80/?`` to the end of that
    epoch; this one reads ``Epoch 3: 80/500`` from the first batch."""

    def on_train_start(self, trainer: L.Trainer, *args: Any) -> None:
        super().on_train_start(trainer, *args)
        resumed_inside = trainer.fit_loop.epoch_loop.batch_progress.current.completed > 0
        if resumed_inside and self.train_progress_bar is not None:
            total = self.total_train_batches  # the first batch's end sets the count
            self.train_progress_bar.reset(total=None if math.isinf(total) else total)
            self.train_progress_bar.set_description(f"Epoch {trainer.current_epoch}")
