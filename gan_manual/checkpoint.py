"""The checkpoint a run resumes from: ``last.ckpt``, kept current every N training batches or minutes and written
where Ctrl-C or a scheduler's SIGTERM stops the run. Every run has it; the config's ``checkpoint`` section sets it
(``--checkpoint.every_n_batches=200``)."""

import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Literal, Optional

import lightning as L
from jsonargparse.typing import NonNegativeInt, PositiveFloat, PositiveInt

from gan_manual import compat
from gan_manual.console import note
from gan_manual.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ResumeCheckpoint(compat.HookedModelCheckpoint):
    """Lightning's ModelCheckpoint that also rewrites ``last.ckpt`` every ``every_n_batches`` training batches and
    every ``every_n_minutes`` of training, whichever comes first. Every run has one, set by the config's
    ``checkpoint`` section (``--checkpoint.every_n_batches=200``), not by the callback list.

    ModelCheckpoint's ``every_n_train_steps`` counts ``trainer.global_step``, which a GAN advances once per
    optimizer step (2 to 6 per batch, and a different number during D warm-up): it would save irregularly or
    never. This counts batches, and minutes, so that a slow run (seconds a batch) loses little to a kill.
    ``last.ckpt`` is always kept (``save_last=True``); ``monitor``/``save_top_k`` work as in ModelCheckpoint, at
    validation or epoch end.

    SIGINT (Ctrl-C) and SIGTERM (what a cluster scheduler sends before it preempts a job) stop the run at the end
    of the batch in progress, after writing ``last.ckpt`` there (at an epoch's last batch, after the epoch's end
    and its save), as exactly resumable as any; :class:`gan_manual.errors.Interrupted` then says where and how to
    resume. A second Ctrl-C stops at once, keeping the previous ``last.ckpt``, except during the write, which it
    does not cut short.

    Args:
        every_n_batches: Training batches between saves of ``last.ckpt``; None: not counted.
        every_n_minutes: Minutes of training between saves of ``last.ckpt``, counted from the last save; None: not
            counted. With neither, ``last.ckpt`` is saved at epoch ends only.
        dirpath, filename, monitor, mode, save_top_k, every_n_epochs: As in ModelCheckpoint.
    """

    def __init__(
        self,
        every_n_batches: Optional[PositiveInt] = 500,
        every_n_minutes: Optional[PositiveFloat] = 10.0,
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
        self.every_n_minutes = every_n_minutes
        self._saved_at = time.monotonic()  # of the last save, or of the start of training
        self._signal: Optional[int] = None  # the signal that asked the run to stop
        self._writing = False
        self._handlers: dict[int, Any] = {}

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # After Lightning installed its own SIGTERM handler (which would stop mid-validation, without a save).
        self._signal = None
        self._saved_at = time.monotonic()
        if threading.current_thread() is threading.main_thread():
            self._handlers = {signum: signal.signal(signum, self._on_signal) for signum in SIGNALS}

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        for signum, handler in self._handlers.items():
            if signal.getsignal(signum) == self._on_signal:  # else Lightning's teardown restored them already
                signal.signal(signum, handler)
        self._handlers = {}

    def _on_signal(self, signum: int, frame: Optional[FrameType]) -> None:
        name = signal.Signals(signum).name
        if self._signal is None or signum != signal.SIGINT:
            self._signal = self._signal or signum
            note(f"{name}: stopping at the end of this batch, after writing last.ckpt (Ctrl-C again stops at once, "
                 f"keeping the previous one)")
        elif self._writing:
            note(f"{name}: writing last.ckpt; stopping right after")
        else:
            raise Interrupted(f"stopped by a second {name}, mid-batch; {self._resume_hint()}", signum)

    def _stopping(self, trainer: L.Trainer) -> bool:
        """Whether a signal asked to stop, on any process (all of them call this at the same points)."""
        return self._anywhere(trainer, self._signal is not None)

    @staticmethod
    def _anywhere(trainer: L.Trainer, decision: bool) -> bool:
        return trainer.strategy.reduce_boolean_decision(decision, all=False) if trainer.world_size > 1 else decision

    def _stop(self, trainer: L.Trainer) -> None:
        signum = self._signal or signal.SIGTERM  # another process's signal
        where = f"after training batch {trainer.fit_loop.total_batch_idx + 1} of the run (epoch {trainer.current_epoch})"
        raise Interrupted(f"stopped by {signal.Signals(signum).name} {where}: saved {self._resume_hint()}", signum)

    def _resume_hint(self) -> str:
        if not self.last_model_path:
            return "no last.ckpt was written yet"
        config = Path(self.dirpath or ".").parent / "config.yaml"
        given = f"-c {config}" if config.is_file() else "<the same -c files>"
        return (f"{self.last_model_path}; resume with: python -m gan_manual fit {given} "
                f"--ckpt_path {self.last_model_path}")

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        batches = trainer.fit_loop.total_batch_idx + 1  # over the run, restored on resume
        # Not on an epoch's last batch: Lightning resumes such a checkpoint as a finished epoch and would skip the
        # epoch's end (validation, epoch-end hooks, epoch schedulers); the epoch-end save follows right after.
        last_of_epoch = batch_idx + 1 >= trainer.num_training_batches
        counted = bool(self.every_n_batches) and batches % self.every_n_batches == 0
        timed = bool(self.every_n_minutes) and time.monotonic() - self._saved_at >= 60 * self.every_n_minutes
        # One collective a batch under DDP (each process has its own clock and may have its own signal).
        if not (counted or self._anywhere(trainer, timed or self._signal is not None)):
            return
        stopping = self._stopping(trainer)
        if not last_of_epoch:
            self._save_last(trainer)
            if stopping:
                self._stop(trainer)

    # Lightning 2.6 writes last.ckpt at an epoch's end only when a top-k checkpoint was written too; with
    # save_top_k=0 (no GAN loss measures quality) it never would. These write it at the end of every epoch.

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self.saves_on_train_epoch_end(trainer):
            self._save_last(trainer)
            if self._stopping(trainer):
                self._stop(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self.saves_on_train_epoch_end(trainer) and not trainer.sanity_checking:
            self._save_last(trainer)
            if self._stopping(trainer):
                self._stop(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.fast_dev_run:  # Lightning 2.6 writes last.ckpt here even under fast_dev_run
            super().on_train_end(trainer, pl_module)
        if self._signal is not None:  # it came after the last batch: the run is complete, and says so
            name = signal.Signals(self._signal).name
            raise Interrupted(f"stopped by {name} after the last batch of the run: it is complete; saved "
                              f"{self._resume_hint()}", self._signal)

    def _save_last(self, trainer: L.Trainer) -> None:
        self._writing = True
        try:
            self.save_last_now(trainer)
        finally:
            self._writing = False
            self._saved_at = time.monotonic()
