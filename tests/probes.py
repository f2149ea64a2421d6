"""Callbacks the tests inject into real runs (by class path, so they work in subprocesses too):
killing a run at a batch or in the middle of a save, poisoning a batch, recording what each DDP rank holds, signals
and a full disk."""

import errno
import io
import os
import signal
from pathlib import Path

import lightning as L
import torch


def _batches(trainer: L.Trainer) -> int:
    """Training batches done in the run so far, this one included."""
    return trainer.fit_loop.total_batch_idx + 1


class KillAt(L.Callback):
    """SIGKILLs its own process at the end of training batch ``batch`` (1-based), after the checkpoint callbacks
    listed before it ran: what a preempted or OOM-killed job looks like."""

    def __init__(self, batch: int) -> None:
        self.batch = batch

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if _batches(trainer) == self.batch:
            os.kill(os.getpid(), signal.SIGKILL)


class KillDuringSave(L.Callback):
    """SIGKILLs its own process halfway through writing checkpoint number ``save`` (1-based) to its file."""

    def __init__(self, save: int) -> None:
        self.save = save

    def setup(self, trainer, pl_module, stage) -> None:
        real_save, count = torch.save, [0]

        def save(obj, f, *args, **kwargs):
            count[0] += 1
            if count[0] == self.save and not isinstance(f, io.BytesIO):
                buffer = io.BytesIO()
                real_save(obj, buffer, *args, **kwargs)
                data = buffer.getvalue()
                target = open(f, "wb") if isinstance(f, (str, os.PathLike)) else f
                target.write(data[: len(data) // 2])
                target.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            return real_save(obj, f, *args, **kwargs)

        torch.save = save


class InjectNaN(L.Callback):
    """Fills the real images of training batch ``batch`` (1-based) with NaN (or, with ``gradient``, sets D's
    gradients to NaN after each backward of that batch); keeps D's parameters from before and after the batch."""

    def __init__(self, batch: int, gradient: bool = False) -> None:
        self.batch = batch
        self.gradient = gradient
        self.before: list[torch.Tensor] = []
        self.after: list[torch.Tensor] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if _batches(trainer) == self.batch:
            self.before = [p.detach().clone() for p in pl_module.discriminator.parameters()]
            if not self.gradient:
                batch[0].fill_(float("nan"))

    def on_after_backward(self, trainer, pl_module) -> None:
        if self.gradient and _batches(trainer) == self.batch:
            for p in pl_module.discriminator.parameters():
                if p.grad is not None:
                    p.grad.fill_(float("nan"))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if _batches(trainer) == self.batch:
            self.after = [p.detach().clone() for p in pl_module.discriminator.parameters()]


class RecordRank(L.Callback):
    """At the end of training, writes ``out_dir/rank<r>.pt``: the parameters, and one checksum per batch seen."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.seen: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.seen.append(float(batch[0].double().sum()))

    def on_train_end(self, trainer, pl_module) -> None:
        params = {k: v.detach().cpu().clone() for k, v in pl_module.named_parameters()}
        Path(self.out_dir).mkdir(parents=True, exist_ok=True)
        torch.save({"params": params, "seen": self.seen}, Path(self.out_dir) / f"rank{trainer.global_rank}.pt")


class SignalAt(L.Callback):
    """Sends its own process ``signum`` as training batch ``batch`` (1-based) starts: Ctrl-C (SIGINT) or a
    scheduler's SIGTERM arriving mid-batch; ``batch=0``: when training has ended, after the last save. With
    ``again_during_save``, sends it once more in the middle of the next checkpoint write (a second, impatient
    Ctrl-C); with ``twice``, sends it twice at once."""

    def __init__(self, batch: int, signum: int = 2, again_during_save: bool = False, twice: bool = False) -> None:
        self.batch, self.signum, self.again_during_save, self.twice = batch, signum, again_during_save, twice

    def on_train_end(self, trainer, pl_module) -> None:
        if self.batch == 0:  # Lightning calls the checkpoint callbacks' hooks last: their save came before
            os.kill(os.getpid(), self.signum)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if _batches(trainer) != self.batch:
            return
        if self.again_during_save:
            real_save = torch.save

            def save(obj, f, *args, **kwargs):
                torch.save = real_save
                os.kill(os.getpid(), self.signum)
                return real_save(obj, f, *args, **kwargs)

            torch.save = save
        os.kill(os.getpid(), self.signum)
        if self.twice:
            os.kill(os.getpid(), self.signum)


class DiskFull(L.Callback):
    """Checkpoint number ``save`` (1-based) runs out of disk space halfway through its file: half the bytes are
    written, then ``OSError(ENOSPC)``, as the disk would raise it."""

    def __init__(self, save: int) -> None:
        self.save = save

    def setup(self, trainer, pl_module, stage) -> None:
        real_save, count = torch.save, [0]

        def save(obj, f, *args, **kwargs):
            if isinstance(f, io.BytesIO):
                return real_save(obj, f, *args, **kwargs)
            count[0] += 1
            if count[0] != self.save:
                return real_save(obj, f, *args, **kwargs)
            torch.save = real_save
            buffer = io.BytesIO()
            real_save(obj, buffer, *args, **kwargs)
            f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        self.real_save, torch.save = real_save, save

    def teardown(self, trainer, pl_module, stage) -> None:
        torch.save = self.real_save
